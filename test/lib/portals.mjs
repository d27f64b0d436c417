// portals.mjs - the console's URLs of a portal's settings pages (/admin/portals/<id>/settings/...).
// The demo install has one portal, id 1, the default one (sql/demo.sql).
export const DEFAULT_PORTAL = 1;

/* The URL of a settings page of a portal: settingsPath('/theme'), settingsPath() for the index. */
export function settingsPath(rest = '', portal = DEFAULT_PORTAL) {
  return `/admin/portals/${portal}/settings${rest}`;
}
