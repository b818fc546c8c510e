// Counts, per field, the values a protective step changed, for the run summary ("masked:card_number 998").

export class FieldCounter {
  readonly #label: string;
  readonly #counts = new Map<string, number>();

  /** `label` names the effect: "masked", "tokenized". */
  constructor(label: string) {
    this.#label = label;
  }

  add(field: string): void {
    this.#counts.set(field, (this.#counts.get(field) ?? 0) + 1);
  }

  /** The counts since the last drain, as "<label>:<field>" -> n; then starts again from zero. */
  drain(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [field, n] of this.#counts) out[`${this.#label}:${field}`] = n;
    this.#counts.clear();
    return out;
  }
}
