// The slice of autocannon's API the benches use (the package ships no types).
declare module "autocannon" {
  interface Result {
    requests: { total: number; average: number };
    duration: number;
    errors: number;
    timeouts: number;
  }
  interface Instance extends PromiseLike<Result> {
    on(
      event: "response",
      listener: (client: unknown, status: number, bytes: number, ms: number) => void,
    ): void;
  }
  function autocannon(opts: Record<string, unknown>): Instance;
  export default autocannon;
}
