// The one typed client of the process hops: calls a contract's methods through a Supervisor (inference process,
// database worker). Method names and argument tuples come from the contract; results stay Results. Pure TypeScript.
import type { Contract, MethodArgs, MethodResult } from '../ipc/contract.ts';
import type { Result } from '../errors.ts';
import type { RequestOptions } from './supervisor.ts';

/** What the client needs from its transport: the Supervisor's `request` fits. */
export interface Requester {
  request<T>(method: string, args: unknown, options?: RequestOptions): Promise<Result<T>>;
}

/** Calls the methods of contract `C` over a requester; every call has an id, a timeout and a cancel path. */
export class ContractClient<C extends Contract> {
  /** The contract this client speaks. */
  readonly contract: C;
  private readonly requester: Requester;
  private readonly timeoutMs: number | undefined;

  constructor(contract: C, requester: Requester, timeoutMs?: number) {
    this.contract = contract;
    this.requester = requester;
    this.timeoutMs = timeoutMs;
  }

  /** Calls `method` with the default timeout. */
  call<K extends keyof C['methods'] & string>(method: K, ...args: MethodArgs<C, K>): Promise<Result<MethodResult<C, K>>> {
    return this.callWith(method, args, {});
  }

  /** Calls `method` with explicit options (long jobs pass a longer timeout, a signal and an event listener). */
  callWith<K extends keyof C['methods'] & string>(
    method: K,
    args: MethodArgs<C, K>,
    options: RequestOptions,
  ): Promise<Result<MethodResult<C, K>>> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return this.requester.request<MethodResult<C, K>>(method, args, { ...options, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  }
}
