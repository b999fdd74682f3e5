/** The path and query of a URL, decoded for display. */
export function pathOfUrl(url: string): string {
  try {
    const u = new URL(url);
    return decodeURIComponent(u.pathname + u.search);
  } catch {
    return url;
  }
}
