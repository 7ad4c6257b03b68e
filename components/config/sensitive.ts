import { inspect } from "node:util";

const REDACTED = "[secret]";

/**
 * A secret config value. It prints as `[secret]` everywhere (string templates, JSON, console,
 * error messages); only `reveal()` returns the value, so a leak has to be written on purpose.
 */
export class Sensitive {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
