/** National clouds: tokens from one are not accepted by another (Learn "National cloud deployments"). */
export const CLOUDS = {
  global: { graph: 'https://graph.microsoft.com', authority: 'https://login.microsoftonline.com' },
  usgov: { graph: 'https://graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  'usgov-dod': { graph: 'https://dod-graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  china: { graph: 'https://microsoftgraph.chinacloudapi.cn', authority: 'https://login.chinacloudapi.cn' },
} as const;

export type CloudName = keyof typeof CLOUDS;

export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];

/** The `/.default` scope of a Graph base URL (the pattern of Learn "National cloud deployments", derived). */
export function graphScope(graphBase: string): string {
  return `${new URL(graphBase).origin}/.default`;
}

/** True when the authority is one of Microsoft's own hosts (MSAL instance discovery applies). */
export function isKnownAuthority(url: string): boolean {
  const origin = new URL(url).origin;
  return Object.values(CLOUDS).some((c) => c.authority === origin);
}
