/** Package names from pg_packages / pg_extensions entries ("a b,c" lists, $v for pg_version). */
export const packageNames = (entries: string[]): string[] => entries.flatMap((e) => e.split(/[\s,]+/)).filter(Boolean);
