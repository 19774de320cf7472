// The Arduino tools' sketch preprocessing, on the host: the sketch's .ino files (main one first, the
// others in alphabetical order) are joined into one C++ file that starts with #include <Arduino.h>,
// and prototypes are inserted before the first function definition for every function the sketch
// defines at file scope, so a function can be called above its definition as in the Arduino IDE.
// `#line` directives map every line back to its .ino file, so compiler messages point at the
// user's own files and lines.
//
// The prototype scanner is deliberately small (as arduino-cli's ctags pass is heuristic too): it
// skips templates, member definitions (A::f), functions with default arguments (a prototype would
// repeat the defaults and the definition would then be an error), and anything inside braces.
import { readFileSync } from 'node:fs';

interface Line {
  file: string;
  line: number;
  text: string;
}

const NOT_FUNCTIONS = /^(if|while|for|switch|return|else|do|class|struct|union|enum|namespace|typedef|using|extern|template|static_assert|sizeof|new|delete|case)\b/;

/** Blanks out comments, string and character literals (keeping newlines and length). */
function stripCode(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && n === '*') {
      while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) {
        out += src[i] === '\n' ? '\n' : ' ';
        i++;
      }
      out += '  ';
      i += 2;
    } else if (c === 'R' && n === '"') {
      // raw string R"delim( ... )delim" (HTML pages in sketches are often raw strings)
      const open = src.indexOf('(', i + 2);
      const delim = open >= 0 ? src.slice(i + 2, open) : '';
      const close = open >= 0 ? src.indexOf(`)${delim}"`, open) : -1;
      const end = close >= 0 ? close + delim.length + 2 : src.length;
      for (; i < end; i++) out += src[i] === '\n' ? '\n' : ' ';
    } else if (c === '"' || c === "'") {
      out += ' ';
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') {
          out += ' ';
          i++;
        }
        out += ' ';
        i++;
      }
      out += ' ';
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export interface FunctionDef {
  prototype: string;
  /** Index (in the joined lines) of the line where the definition's head starts. */
  lineIndex: number;
}

/** File-scope function definitions in the joined sketch, in order. */
export function findFunctionDefinitions(lines: string[]): FunctionDef[] {
  const code = stripCode(lines.join('\n'));
  const lineStarts: number[] = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const defs: FunctionDef[] = [];
  let depth = 0;
  let headStart = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    // Preprocessor lines at file scope separate declarations (with their continuations).
    if (c === '#' && depth === 0 && /^\s*$/.test(code.slice(code.lastIndexOf('\n', i - 1) + 1, i))) {
      while (i < code.length && !(code[i] === '\n' && code[i - 1] !== '\\')) i++;
      headStart = i + 1;
      continue;
    }
    if (c === '{') {
      if (depth === 0) {
        const head = code.slice(headStart, i).replace(/\s+/g, ' ').trim();
        const proto = prototypeOf(head);
        if (proto) {
          const firstNonBlank = headStart + (code.slice(headStart, i).search(/\S/));
          defs.push({ prototype: proto, lineIndex: lineOf(firstNonBlank) });
        }
      }
      depth++;
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) headStart = i + 1;
    } else if (c === ';' && depth === 0) {
      headStart = i + 1;
    }
  }
  return defs;
}

function prototypeOf(head: string): string | undefined {
  if (!head || NOT_FUNCTIONS.test(head) || head.includes('=') || /\btemplate\b/.test(head)) return undefined;
  const m = /^((?:[A-Za-z_][\w:<>,]*[\s*&]+)+)([A-Za-z_]\w*)\s*\((.*)\)\s*(const\s*)?$/.exec(head);
  if (!m) return undefined;
  const [, ret, name, params] = m;
  // A global initialised with a lambda (`AsyncMiddlewareFunction mw([](Req* r, Next n) {...});`)
  // looks like a definition up to its brace: a `[` in the "parameters" says it is not one.
  if (/[[\]]/.test(params!)) return undefined;
  if (/::\s*$/.test(ret!) || /\b(operator)\b/.test(head)) return undefined;
  if (/^\s*(static\s+)?inline\b/.test(ret!)) return undefined;
  if (name === 'setup' || name === 'loop') return `${head};`;
  return `${head};`;
}

/** The joined sketch as C++ (see the top of this file). */
export function joinSketch(inoFiles: string[]): string {
  const lines: Line[] = [];
  for (const file of inoFiles) {
    const text = readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
    text.split('\n').forEach((t, i) => lines.push({ file, line: i + 1, text: t }));
  }
  const defs = findFunctionDefinitions(lines.map((l) => l.text));
  const out: string[] = ['#include <Arduino.h>'];
  const lineDirective = (l: Line) => `#line ${l.line} ${JSON.stringify(l.file)}`;
  const insertAt = defs.length ? defs[0]!.lineIndex : -1;
  let prevFile = '';
  lines.forEach((l, i) => {
    if (i === insertAt) {
      out.push(...defs.map((d) => d.prototype));
      out.push(lineDirective(l));
    } else if (l.file !== prevFile) {
      out.push(lineDirective(l));
    }
    prevFile = l.file;
    out.push(l.text);
  });
  return `${out.join('\n')}\n`;
}
