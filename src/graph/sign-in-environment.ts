import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

// What this machine offers a sign-in: a browser that can open, the Azure CLI on PATH.

/**
 * Why a browser sign-in cannot work here, or undefined when it can. @azure/identity opens the
 * browser with the `open` package, which on Linux starts `xdg-open` detached with its output
 * ignored: when no browser appears, nothing reports it and the sign-in waits for a redirect
 * that never comes. So the question is decided up front, from what `open` needs: a terminal to
 * sign in from, and a desktop (macOS, Windows, WSL, or an X11/Wayland display on Linux). Pure.
 */
export function browserUnavailable(facts: {
  env: NodeJS.ProcessEnv;
  stdinTTY: boolean;
  stderrTTY: boolean;
  platform: NodeJS.Platform;
  osRelease: string;
}): string | undefined {
  if (!facts.stdinTTY || !facts.stderrTTY) return 'there is no terminal';
  if (facts.platform === 'darwin' || facts.platform === 'win32') return undefined;
  // WSL: `open` hands the URL to Windows (PowerShell), which has a desktop.
  if (/microsoft/i.test(facts.osRelease) || facts.env.WSL_DISTRO_NAME) return undefined;
  if (facts.env.DISPLAY || facts.env.WAYLAND_DISPLAY) return undefined;
  return 'there is no display to open a browser on (DISPLAY and WAYLAND_DISPLAY are unset)';
}

/** True when an executable `name` is in one of PATH's folders (the Azure CLI is `az`, `az.cmd` on Windows). */
export function onPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  const names = platform === 'win32' ? [`${name}.cmd`, `${name}.exe`, `${name}.bat`] : [name];
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      try {
        const file = path.join(dir, n);
        accessSync(file, constants.X_OK);
        if (statSync(file).isFile()) return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}
