import { UsageError } from '../errors.js';
import { safeText } from './safe-text.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/**
 * The one seam for questions. Non-interactive prompters never ask: they return the default or
 * fail naming the flag that would have answered.
 */
export interface Prompter {
  readonly interactive: boolean;
  /** Asks yes/no; `flag` names the flag that answers it in scripts (e.g. `--yes`). */
  confirm(message: string, opts: { flag: string; default?: boolean }): Promise<boolean>;
  /** Picks one of several matches; non-interactive runs fail listing them. */
  select<T>(message: string, choices: Choice<T>[], opts: { flag: string }): Promise<T>;
  input(message: string, opts: { flag: string; default?: string; validate?: (v: string) => true | string }): Promise<string>;
  /** Picks any number of choices. */
  checkbox<T>(message: string, choices: Choice<T>[], opts: { flag: string }): Promise<T[]>;
  password(message: string, opts: { flag: string }): Promise<string>;
}

/** A prompter for scripts and pipelines: `--yes` answers confirmations, nothing else is asked. */
export function nonInteractivePrompter(yes: boolean): Prompter {
  return {
    interactive: false,
    async confirm(message, { flag }) {
      if (yes) return true;
      throw new UsageError(`${message.replace(/\?$/, '')}: confirmation needed; pass ${flag} to confirm in a non-interactive run`);
    },
    async select(message, choices, { flag }) {
      const listed = choices.map((c) => c.name).join('; ');
      throw new UsageError(`${message}: ${choices.length} matches (${listed}); pass ${flag} with one of them`);
    },
    async input(message, { flag, default: def }) {
      if (def !== undefined) return def;
      throw new UsageError(`${message}: missing; pass ${flag}`);
    },
    async checkbox(message, _choices, { flag }) {
      throw new UsageError(`${message}: missing; pass ${flag}`);
    },
    async password(message, { flag }) {
      throw new UsageError(`${message}: missing; set ${flag}`);
    },
  };
}

/** Choice labels quote names from Graph; @inquirer/prompts writes them to the terminal as given. */
function safeChoices<T>(choices: Choice<T>[]): Choice<T>[] {
  return choices.map((c) => ({
    ...c,
    name: safeText(c.name),
    ...(c.description !== undefined ? { description: safeText(c.description) } : {}),
  }));
}

/**
 * A prompter that asks on the terminal through @inquirer/prompts (loaded on first question).
 * It writes to stderr itself, past the output boundary in main, so questions and choices are
 * made safe here.
 */
export function terminalPrompter(yes: boolean): Prompter {
  const output = process.stderr;
  const ctx = { output };
  return {
    interactive: true,
    async confirm(message, { default: def }) {
      if (yes) return true;
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message: safeText(message), default: def ?? false }, ctx);
    },
    async select(message, choices) {
      const { select } = await import('@inquirer/prompts');
      return select({ message: safeText(message), choices: safeChoices(choices) }, ctx);
    },
    async input(message, { default: def, validate }) {
      const { input } = await import('@inquirer/prompts');
      return input({ message: safeText(message), default: def === undefined ? undefined : safeText(def), validate }, ctx);
    },
    async checkbox(message, choices) {
      const { checkbox } = await import('@inquirer/prompts');
      return checkbox({ message: safeText(message), choices: safeChoices(choices), pageSize: 12 }, ctx);
    },
    async password(message) {
      const { password } = await import('@inquirer/prompts');
      return password({ message: safeText(message), mask: '*' }, ctx);
    },
  };
}
