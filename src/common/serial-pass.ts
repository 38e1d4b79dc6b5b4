/**
 * A pass that never runs twice at once: `wake()` starts it now, or once more right after the run in
 * progress (however many wakes arrive meanwhile). The relays use it for "hand waiting rows to the queue".
 */
export class SerialPass {
  private running?: Promise<void>;
  private again = false;
  private stoppedFlag = false;

  constructor(private readonly pass: () => Promise<void>) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  wake(): void {
    if (this.stoppedFlag) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** No new runs; resolves when the run in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stoppedFlag = true;
    await this.running;
  }
}
