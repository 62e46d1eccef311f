/** Pigsty writes `${admin_ip}` in inventory strings for the admin node's address. */
export const withAdminIp = (text: string, adminIp: string | undefined): string =>
  adminIp === undefined ? text : text.replaceAll('${admin_ip}', adminIp);
