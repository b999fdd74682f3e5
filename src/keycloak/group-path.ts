/** Keycloak group paths: their normal form, and whether one lies within another. */

/** `/a/b` form of a group path (Keycloak accepts it with or without the leading slash). */
export function normaliseGroupPath(path: string | undefined): string {
  const p = (path ?? '').trim().replace(/\/+$/, '');
  return p.startsWith('/') ? p : `/${p}`;
}

/**
 * Whether `path` is the group `root` or one of its subgroups. Members of a subgroup hold the
 * parent's role mappings (a user's hasRole asks RoleUtils.hasRoleFromGroup with checkParentGroup,
 * which walks up the parents), so for admin rights a subgroup counts as the group itself.
 */
export function isWithinGroup(path: string | undefined, root: string): boolean {
  if (path === undefined || path.trim() === '') return false;
  const p = normaliseGroupPath(path);
  const r = normaliseGroupPath(root);
  return p === r || p.startsWith(`${r}/`);
}
