/**
 * Operations on one PostgreSQL client, one at a time in call order: a
 * transaction (BEGIN ... COMMIT over several awaits) never has another
 * caller's statement land inside it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `op` after every operation queued before it; its failure is the caller's and does not stop the queue. */
  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op);
    this.tail = result.catch(() => {});
    return result;
  }
}
