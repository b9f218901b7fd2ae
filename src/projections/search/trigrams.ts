/**
 * Slots by the trigrams (three UTF-16 code units) of a folded text, to find the few users whose
 * text can contain a value without reading every user's. A trigram's key packs ten bits of each
 * unit into one small integer: exact below U+0400, shared by a few trigrams above, which only
 * adds candidates (a text repeating a trigram likewise repeats its slot). Postings are only ever appended: a
 * user whose text changed or who was removed leaves stale entries behind, which is safe because
 * every candidate is checked against the user's current text; `compactable()` says when they
 * outweigh the live ones and the owner should rebuild.
 */
export class TrigramPostings {
  private readonly lists = new Map<number, { slots: Int32Array; length: number }>();
  private entries = 0;
  private live = 0;

  add(slot: number, folded: string): void {
    for (let i = 0; i + 3 <= folded.length; i++) {
      const key = trigramKey(folded, i);
      let list = this.lists.get(key);
      if (!list) {
        list = { slots: new Int32Array(4), length: 0 };
        this.lists.set(key, list);
      }
      if (list.length === list.slots.length) {
        const grown = new Int32Array(list.slots.length * 2);
        grown.set(list.slots);
        list.slots = grown;
      }
      list.slots[list.length++] = slot;
    }
    this.entries += trigrams(folded);
    this.live += trigrams(folded);
  }

  /** The text a slot was added with is gone (changed or removed): its entries are now stale. */
  retire(folded: string): void {
    this.live -= trigrams(folded);
  }

  /**
   * Slots that may hold a text containing `folded` (with duplicates and stale ones), from the
   * shortest posting list among its trigrams; undefined when it has none (shorter than three).
   */
  candidates(folded: string): Int32Array | undefined {
    let best: { slots: Int32Array; length: number } | undefined;
    for (let i = 0; i + 3 <= folded.length; i++) {
      const list = this.lists.get(trigramKey(folded, i));
      if (!list) return new Int32Array(0);
      if (!best || list.length < best.length) best = list;
    }
    return best?.slots.subarray(0, best.length);
  }

  compactable(): boolean {
    return this.entries > 1024 && this.entries > 2 * this.live;
  }

  clear(): void {
    this.lists.clear();
    this.entries = 0;
    this.live = 0;
  }
}

const trigramKey = (text: string, at: number) => ((text.charCodeAt(at) & 0x3ff) << 20) | ((text.charCodeAt(at + 1) & 0x3ff) << 10) | (text.charCodeAt(at + 2) & 0x3ff);

const trigrams = (folded: string) => Math.max(0, folded.length - 2);
