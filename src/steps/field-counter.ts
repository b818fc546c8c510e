// Counts, per field, the values a protective step changed, for the run summary ("masked:card_number 998").

export class FieldCounter {
  readonly #label: string;
  // A box per field, so counting a value is one lookup: steps count every value they change.
  readonly #counts = new Map<string, { n: number }>();

  /** `label` names the effect: "masked", "tokenized". */
  constructor(label: string) {
    this.#label = label;
  }

  add(field: string): void {
    const count = this.#counts.get(field);
    if (count) count.n++;
    else this.#counts.set(field, { n: 1 });
  }

  /** The counts since the last drain, as "<label>:<field>" -> n; then starts again from zero. */
  drain(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [field, { n }] of this.#counts) out[`${this.#label}:${field}`] = n;
    this.#counts.clear();
    return out;
  }
}
