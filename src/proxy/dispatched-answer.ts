/**
 * One upstream answer read through undici's dispatch handler API rather than
 * `request()`: each body chunk is handed straight to whoever relays it, with
 * no Readable stream in between (the stream's per-chunk bookkeeping was the
 * larger part of the proxy's own CPU per streamed answer). Chunks that come
 * before a sink is attached (between the headers and the relay's start) are
 * held, so none is lost or reordered.
 */
import type { Dispatcher } from 'undici';

type RawHeaders = Record<string, string | string[] | undefined>;

/** Where a relayed body goes. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
}

export class DispatchedAnswer implements Dispatcher.DispatchHandler {
  statusCode = 0;
  headers: RawHeaders = {};
  private controller: Dispatcher.DispatchController | null = null;
  private sink: BodySink | null = null;
  private held: Buffer[] = [];
  private ended = false;
  private failure: Error | null = null;
  private started = false;
  /** An abort that came before undici handed us the controller: applied when it does. */
  private earlyAbort: Error | null = null;

  /**
   * @param onStart called once with this answer when its final status and headers arrive
   * @param onFail called when the request fails before that
   */
  constructor(
    private readonly onStart: (answer: DispatchedAnswer) => void,
    private readonly onFail: (err: Error) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.earlyAbort) controller.abort(this.earlyAbort);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: RawHeaders): void {
    if (statusCode < 200) return; // 1xx: informational, the answer is still to come
    this.statusCode = statusCode;
    this.headers = headers;
    this.started = true;
    this.onStart(this);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.sink) this.sink.data(chunk);
    else this.held.push(chunk);
  }

  onResponseEnd(): void {
    this.ended = true;
    this.sink?.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (!this.started) {
      this.onFail(err);
      return;
    }
    this.failure = err;
    this.sink?.error(err);
  }

  /** Starts delivering the body to `sink`, held chunks first. */
  attach(sink: BodySink): void {
    this.sink = sink;
    const held = this.held;
    this.held = [];
    for (const chunk of held) sink.data(chunk);
    if (this.failure) sink.error(this.failure);
    else if (this.ended) sink.end();
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  /** Stops reading (the client went away, or the attempt was cut). */
  abort(reason: Error): void {
    if (this.ended) return;
    if (!this.controller) this.earlyAbort = reason;
    else if (!this.controller.aborted) this.controller.abort(reason);
  }

  /** The whole body as text (an error answer, read before it is passed on). */
  text(): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      this.attach({
        data: (c) => chunks.push(c),
        end: () => resolve(Buffer.concat(chunks).toString('utf8')),
        error: reject,
      });
    });
  }
}

/** Sends a request; resolves at the answer's headers. `signal` aborts it until then. */
export function dispatchAnswer(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal,
): Promise<DispatchedAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      answer.abort(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const answer = new DispatchedAnswer(
      (a) => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(a);
      },
      (err) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    dispatcher.dispatch(options, answer);
  });
}
