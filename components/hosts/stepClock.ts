/** One step's name and how long it took. */
export interface Timed {
  readonly step: string;
  readonly seconds: number;
}

/** Times the steps of an operation run across hosts (a takeover, a recovery), each logged as it ends. */
export class StepClock {
  readonly timings: Timed[] = [];

  constructor(private readonly log: (line: string) => void) {}

  async timed<T>(step: string, run: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const result = await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.timings.push({ step, seconds });
    this.log(`${step}: ${seconds.toFixed(1)} s`);
    return result;
  }
}
