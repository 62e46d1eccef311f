/** Where Debian's etcd-server keeps the single-node member its postinst starts (ETCD_DATA_DIR of its unit). */
export const DEBIAN_DEFAULT_DATA = '/var/lib/etcd/default';

/** Whether `path` is `dir` or inside it. */
export const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir.replace(/\/+$/, '')}/`);
