// Runs one hook call within its time budget. A hook cannot be killed (it is code in the same
// isolate): on expiry its promise is abandoned, and whatever it does later is ignored.

/** A hook did not settle within its time budget. */
export class HookTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HookTimeoutError";
  }
}

/** The run was cancelled from outside (the worker is stopping). */
export class HookCancelledError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HookCancelledError";
  }
}

/** How one call ended. */
export type CallOutcome<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly error: unknown;
};

/**
 * Calls `call` with an `AbortSignal` that aborts after `budgetMs`, and waits at most that
 * long (or until `cancel` aborts). A throw, a rejection or the expiry become `{ ok: false }`;
 * a late rejection of the abandoned promise is swallowed, so it cannot crash the process.
 */
export async function callWithBudget<T>(
  call: (signal: AbortSignal) => T | Promise<T>,
  budgetMs: number,
  cancel?: AbortSignal,
): Promise<CallOutcome<T>> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onCancel: (() => void) | undefined;
  const expired = new Promise<CallOutcome<T>>((resolve) => {
    timer = setTimeout(() => {
      const error = new HookTimeoutError(`Hook did not answer within ${budgetMs} ms`);
      controller.abort(error);
      resolve({ ok: false, error });
    }, budgetMs);
    onCancel = () => {
      const error = new HookCancelledError("Hook call cancelled: stopping");
      controller.abort(error);
      resolve({ ok: false, error });
    };
    if (cancel?.aborted) onCancel();
    else cancel?.addEventListener("abort", onCancel, { once: true });
  });
  try {
    let answer: Promise<T>;
    try {
      answer = Promise.resolve(call(controller.signal));
    } catch (error) {
      return { ok: false, error };
    }
    const settled = answer.then(
      (value): CallOutcome<T> => ({ ok: true, value }),
      (error): CallOutcome<T> => ({ ok: false, error }),
    );
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
    if (onCancel !== undefined) cancel?.removeEventListener("abort", onCancel);
  }
}
