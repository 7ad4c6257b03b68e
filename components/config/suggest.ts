import { distance } from "fastest-levenshtein";

/**
 * The closest known name, if it is close enough to be a typo: at most a third of the
 * name's length in edits (so `EMAIL_BACKNED` finds `EMAIL_BACKEND`, `VERSOIN` finds `version`).
 */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
