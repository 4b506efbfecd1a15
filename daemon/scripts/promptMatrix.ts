// A1111's "Prompt matrix" script (`scripts/prompt_matrix.py`): the prompt's `|` parts after the first are switched
// on and off, one prompt per combination (bit n of the combination number = part n + 1). Pure.

export interface MatrixOptions {
  putAtStart: boolean;
  delimiter: 'comma' | 'space';
}

/** Every combination's prompt, in A1111's order, and the parts the legend labels. */
export function matrixPrompts(prompt: string, o: MatrixOptions): { prompts: string[]; parts: string[] } {
  const parts = prompt.split('|');
  const sep = o.delimiter === 'comma' ? ', ' : ' ';
  const prompts: string[] = [];
  for (let combination = 0; combination < 2 ** (parts.length - 1); combination++) {
    const selected = parts.slice(1).filter((_, n) => (combination & (1 << n)) !== 0).map((t) => t.trim().replace(/^,+|,+$/g, ''));
    prompts.push((o.putAtStart ? [...selected, parts[0]!] : [parts[0]!, ...selected]).join(sep));
  }
  return { prompts, parts };
}

/** The grid's rows: `1 << ((len(parts) - 1) // 2)`. */
export const matrixRows = (parts: readonly string[]): number => 1 << Math.floor((parts.length - 1) / 2);
