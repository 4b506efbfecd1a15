// Tag lists as A1111 writes them (modules/deepbooru.py: DeepDanbooru.tag_multi), for DeepBooru and the WD14
// tagger alike: keep scores ≥ threshold that are not "rating:*" (the WD14 tagger's rating rows are dropped by its
// caller), sort alphabetically (deepbooru_sort_alpha, the default) or by falling score, drop the filter tags
// (comma-separated, spaces read as underscores), then "_" → " " (deepbooru_use_spaces), backslash-escape ( ) \
// (deepbooru_escape), optionally "(tag:0.123)" (interrogate_return_ranks), joined with ", ".

export interface TagFormatOptions {
  threshold: number;
  sortAlpha: boolean;
  useSpaces: boolean;
  escape: boolean;
  /** A1111 deepbooru_filter_tags: "tag_a, tag b". */
  filterTags: string;
  returnRanks: boolean;
}

export interface ScoredTag {
  tag: string;
  score: number;
}

/** The tags that pass, in A1111's order, before formatting. */
export function selectTags(tags: readonly string[], scores: ArrayLike<number>, o: Pick<TagFormatOptions, 'threshold' | 'sortAlpha' | 'filterTags'>): ScoredTag[] {
  const kept = new Map<string, number>();
  tags.forEach((tag, i) => {
    const s = scores[i]!;
    if (s < o.threshold || tag.startsWith('rating:')) return;
    kept.set(tag, s); // a repeated tag keeps its last score, as the dict does
  });
  // Python's sorted(): code-point order for strings; a stable sort by -score for the rest.
  const ordered = o.sortAlpha ? [...kept.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : [...kept].sort((a, b) => b[1] - a[1]).map(([t]) => t);
  const filter = new Set(o.filterTags.split(',').map((x) => x.trim().replace(/ /g, '_')));
  return ordered.filter((t) => !filter.has(t)).map((tag) => ({ tag, score: kept.get(tag)! }));
}

/** `f"{probability:.3f}"` for a float32 score. */
const fixed3 = (v: number): string => v.toFixed(3);

export function formatTags(tags: readonly ScoredTag[], o: Pick<TagFormatOptions, 'useSpaces' | 'escape' | 'returnRanks'>): string {
  return tags
    .map(({ tag, score }) => {
      let t = o.useSpaces ? tag.replace(/_/g, ' ') : tag;
      if (o.escape) t = t.replace(/([\\()])/g, '\\$1');
      return o.returnRanks ? `(${t}:${fixed3(score)})` : t;
    })
    .join(', ');
}

export function tagText(tags: readonly string[], scores: ArrayLike<number>, o: TagFormatOptions): string {
  return formatTags(selectTags(tags, scores, o), o);
}
