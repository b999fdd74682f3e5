import { createInterface } from 'node:readline';
import { styleText } from 'node:util';
import { InterruptedError } from './errors.js';
import { defaultAuthMethod } from './graph/sign-in-decision.js';
import type { RawOptions } from './options.js';
import { colorEnabled } from './ui/color.js';
import type { Choice, Prompter } from './ui/prompt.js';

// ---------------------------------------------------------------------------
// Start-up: the first question appears before the SDKs are loaded
// ---------------------------------------------------------------------------
//
// Loading @inquirer/prompts alone takes about as long as Node's own start, and the Graph
// client, ora and @azure/identity add as much again. None of that is needed to show a line of
// text, so when the run's first question is a text question it is asked with Node's own line
// editor, styled like @inquirer/prompts' input, and the SDKs start loading, one after another,
// the moment it is on screen, while the user reads and types. Every later question, and a first
// question of another kind, goes to the terminal prompter as before.

/** Questions asked so far in this process (through either wizard entry). */
let asked = 0;
let loading: Promise<void> | undefined;

/** Starts loading, once per process, the packages the rest of the run needs, most urgent first. */
function loadSdksInBackground(needs: { identity: boolean; spinner: boolean }): void {
  if (loading) return;
  const loaders: Array<() => Promise<unknown>> = [
    // The next question, then the Graph call its answer triggers.
    () => import('@inquirer/prompts'),
    () => import('@microsoft/microsoft-graph-client'),
  ];
  if (needs.spinner) loaders.push(() => import('ora'));
  if (needs.identity) loaders.push(() => import('@azure/identity'));
  loading = (async () => {
    // A module that fails here is reported by the import that needs it.
    for (const load of loaders) await load().catch(() => undefined);
  })();
}

/**
 * Wraps the terminal prompter for the wizard (other prompters pass through unchanged): a first
 * question that is a text question uses `lineInput`; any other question starts the background
 * load right after its own prompt module was asked for, so that it renders first.
 */
export function startUpPrompter(prompt: Prompter, raw: RawOptions, env: NodeJS.ProcessEnv): Prompter {
  if (!prompt.interactive || !process.stdin.isTTY || !process.stderr.isTTY) return prompt;
  const color = colorEnabled({ noColor: raw.color === false, isTTY: true, env });
  const needs = {
    identity: (raw.auth ?? defaultAuthMethod(env, true)) !== 'access-token',
    // Spinners run on a terminal without --json, coloured or not (see createProgress).
    spinner: !raw.json,
  };
  const load = () => loadSdksInBackground(needs);
  const after = <T>(question: Promise<T>): Promise<T> => {
    asked++;
    load();
    return question;
  };
  return {
    interactive: true,
    confirm: (message, opts) => after(prompt.confirm(message, opts)),
    select<T>(message: string, choices: Choice<T>[], opts: { flag: string }) {
      return after(prompt.select(message, choices, opts));
    },
    checkbox<T>(message: string, choices: Choice<T>[], opts: { flag: string }) {
      return after(prompt.checkbox(message, choices, opts));
    },
    password: (message, opts) => after(prompt.password(message, opts)),
    input: (message, opts) => {
      if (asked > 0) return after(prompt.input(message, opts));
      asked++;
      return lineInput(message, opts, color, load);
    },
  };
}

/**
 * One line of text with node:readline, looking like @inquirer/prompts' input: `? message (default)`,
 * `> problem` under a refused answer (which stays in the line for editing), `✔ message answer`
 * when done. Ctrl-C or end of input interrupts the run (exit 130), as with the terminal prompter.
 * `shown` is called once the question is on screen.
 */
function lineInput(
  message: string,
  opts: { default?: string; validate?: (v: string) => true | string },
  color: boolean,
  shown: () => void,
): Promise<string> {
  const paint = (format: Parameters<typeof styleText>[0], text: string) => (color ? styleText(format, text) : text);
  const out = process.stderr;
  const question = `${[paint('blue', '?'), paint('bold', message), opts.default ? paint('dim', `(${opts.default})`) : ''].filter(Boolean).join(' ')} `;
  const plainWidth = `? ${message} ${opts.default ? `(${opts.default}) ` : ''}`.length;
  return new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: out, terminal: true, historySize: 0 });
    let settled = false;
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      rl.close();
      then();
    };
    rl.on('SIGINT', () => settle(() => (out.write('\n'), reject(new InterruptedError('interrupted at a question')))));
    rl.on('close', () => settle(() => reject(new InterruptedError('the terminal closed its input'))));
    rl.on('line', (line) => {
      const answer = line || opts.default || '';
      const verdict = opts.validate ? opts.validate(answer) : true;
      if (verdict !== true) {
        out.write(`${paint('red', `> ${verdict}`)}\n`);
        rl.prompt();
        rl.write(line);
        return;
      }
      settle(() => {
        // Replace the question with its answered form, as the terminal prompter does; only when
        // it took one screen row, since otherwise the rows to clear are not known for sure.
        if (plainWidth + line.length < (out.columns || 80)) {
          out.write(`\x1b[1A\r\x1b[2K${paint('green', '✔')} ${paint('bold', message)} ${paint('cyan', answer)}\n`);
        }
        resolve(answer);
      });
    });
    rl.setPrompt(question);
    rl.prompt();
    // Writes to a terminal are synchronous: the question is on screen once prompt() returns.
    setImmediate(shown);
  });
}
