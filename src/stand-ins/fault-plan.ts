import type { FastifyReply, FastifyRequest } from 'fastify';

/** A failure a stand-in can be told to produce, as a real partner sometimes does. */
export type Fault =
  | { status: number; retryAfter?: number; body?: unknown }
  /**
   * Accept the connection and never answer; with `processed`, after doing the work — the partner took
   * the request but its answer never arrives (the case idempotency keys exist for).
   */
  | { hang: true; processed?: boolean }
  /** Drop the connection without an answer. */
  | { reset: true };

/**
 * Failures queued for a stand-in's next requests, and an outage switch (`down`) that can follow any
 * clock — the replay clock included, so an outage can last "an hour of event time".
 */
export class FaultPlan {
  readonly #queue: Fault[] = [];
  /** While this returns a fault, every request gets it. */
  down: () => Fault | undefined = () => undefined;
  /** Requests taken and never answered (`hang`), so far. */
  hung = 0;

  /** The next `times` requests get `fault`. */
  failNext(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.#queue.push(fault);
  }

  /**
   * Answers the request with the current fault, if there is one: `answered` when it did (the route then
   * does nothing more), `silent` when the route should do its work and then not answer.
   */
  apply(
    req: FastifyRequest,
    reply: FastifyReply,
    errorBody: (status: number) => unknown,
  ): 'answered' | 'silent' | undefined {
    const fault = this.down() ?? this.#queue.shift();
    if (!fault) return undefined;
    if ('hang' in fault) {
      this.hung++;
      reply.hijack();
      return fault.processed ? 'silent' : 'answered';
    }
    if ('reset' in fault) {
      reply.hijack();
      req.raw.socket.destroy();
      return 'answered';
    }
    void reply
      .status(fault.status)
      .headers(fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) })
      .send(fault.body ?? errorBody(fault.status));
    return 'answered';
  }
}
