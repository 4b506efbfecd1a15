// A1111's prompt styles (`modules/styles.py`): a style's text either holds `{prompt}` (the prompt goes there) or
// is appended after ", "; styles apply in the order chosen. Pure; reading and writing styles.csv is
// daemon/modelFiles/styles.ts.

export interface PromptStyle {
  name: string;
  prompt: string;
  negativePrompt: string;
}

/** `merge_prompts`. */
export function mergePrompts(stylePrompt: string, prompt: string): string {
  if (stylePrompt.includes('{prompt}')) return stylePrompt.split('{prompt}').join(prompt);
  return [prompt.trim(), stylePrompt.trim()].filter((p) => p !== '').join(', ');
}

/** `apply_styles_to_prompt`: each style text merged in turn. */
export function applyStylesToPrompt(prompt: string, styleTexts: readonly string[]): string {
  let out = prompt;
  for (const s of styleTexts) out = mergePrompts(s, out);
  return out;
}

/** `unwrap_style_text_from_prompt`: the prompt without the style's text, when the style wraps or ends it. */
function unwrap(styleText: string, prompt: string): string | undefined {
  if (styleText.includes('{prompt}')) {
    const parts = styleText.split('{prompt}');
    if (parts.length !== 2) return undefined;
    const [left, right] = parts as [string, string];
    return prompt.startsWith(left) && prompt.endsWith(right) && prompt.length >= left.length + right.length ? prompt.slice(left.length, prompt.length - right.length) : undefined;
  }
  if (!prompt.endsWith(styleText)) return undefined;
  const rest = prompt.slice(0, prompt.length - styleText.length);
  return rest.endsWith(', ') ? rest.slice(0, -2) : rest;
}

/**
 * `extract_styles_from_prompt`: the styles whose texts a prompt pair carries (last applied first removed), and the
 * prompts without them — what A1111's paste does with "Apply if any".
 */
export function extractStylesFromPrompt(styles: readonly PromptStyle[], prompt: string, negativePrompt: string): { styles: string[]; prompt: string; negativePrompt: string } {
  const found: string[] = [];
  const left = [...styles];
  for (;;) {
    const i = left.findIndex((s) => (s.prompt || s.negativePrompt) && unwrap(s.prompt, prompt) !== undefined && unwrap(s.negativePrompt, negativePrompt) !== undefined);
    if (i < 0) break;
    const s = left[i]!;
    prompt = unwrap(s.prompt, prompt)!;
    negativePrompt = unwrap(s.negativePrompt, negativePrompt)!;
    found.push(s.name);
    left.splice(i, 1);
  }
  return { styles: found.reverse(), prompt, negativePrompt };
}
