// Contract machinery: a service is described once (method argument schemas, result types, events);
// channel names, the renderer API type and the server implementation type are all derived from it.
import { z } from 'zod';
import type { Result } from '../errors.ts';

/** A method: a zod tuple for its arguments and a phantom result type. */
export interface MethodSpec<A extends z.ZodTuple = z.ZodTuple, R = unknown> {
  readonly kind: 'method';
  readonly args: A;
  /** Phantom field: never set, carries the result type. */
  readonly result?: R;
}

/** An event stream: a phantom payload type. */
export interface EventSpec<P = unknown> {
  readonly kind: 'event';
  readonly payload?: P;
}

/** Declares a method whose arguments parse with `args` and whose value is `R`. */
export function method<R, A extends z.ZodTuple = z.ZodTuple<[], null>>(args?: A): MethodSpec<A, R> {
  return { kind: 'method', args: (args ?? z.tuple([])) as A };
}

/** Declares an event whose payload is `P`. */
export function event<P>(): EventSpec<P> {
  return { kind: 'event' };
}

/** A whole service contract. */
export interface Contract<
  S extends string = string,
  M extends Record<string, MethodSpec> = Record<string, MethodSpec>,
  E extends Record<string, EventSpec> = Record<string, EventSpec>,
> {
  readonly service: S;
  readonly methods: M;
  readonly events: E;
}

/** Builds a contract from its parts. */
export function defineContract<
  S extends string,
  M extends Record<string, MethodSpec>,
  E extends Record<string, EventSpec> = Record<never, EventSpec>,
>(service: S, methods: M, events?: E): Contract<S, M, E> {
  return { service, methods, events: (events ?? {}) as E };
}

/** The channel that carries `service.method` calls. */
export function methodChannel(service: string, name: string): string {
  return `${service}:${name}`;
}

/** The channel that carries `service` events named `name`. */
export function eventChannel(service: string, name: string): string {
  return `${service}:event:${name}`;
}

/** Every method channel of a contract. */
export function methodChannels(contract: Contract): string[] {
  return Object.keys(contract.methods).map((m) => methodChannel(contract.service, m));
}

type ArgsOf<M> = M extends MethodSpec<infer A, unknown> ? z.input<A> : never;
type ParsedArgsOf<M> = M extends MethodSpec<infer A, unknown> ? z.output<A> : never;
type ResultOf<M> = M extends MethodSpec<z.ZodTuple, infer R> ? R : never;
type PayloadOf<E> = E extends EventSpec<infer P> ? P : never;
type Tuple<T> = T extends unknown[] ? T : never;
type ListenerName<K> = K extends string ? `on${Capitalize<K>}` : never;

/** What a client sees (renderer, CLI, tests): each method resolves to a Result; each event is `onX(listener) → unsubscribe`. */
export type ClientApi<C extends Contract> = {
  [K in keyof C['methods']]: (...args: ArgsOf<C['methods'][K]> & unknown[]) => Promise<Result<ResultOf<C['methods'][K]>>>;
} & {
  [K in keyof C['events'] as ListenerName<K>]: (listener: (payload: PayloadOf<C['events'][K]>) => void) => () => void;
};

/** What a server implements: methods receive parsed arguments and may return a value or throw an AppFailure. */
export type ServiceImpl<C extends Contract> = {
  [K in keyof C['methods']]: (
    ...args: ParsedArgsOf<C['methods'][K]> & unknown[]
  ) => Promise<ResultOf<C['methods'][K]>> | ResultOf<C['methods'][K]>;
};

/** The argument tuple a caller passes to a contract's method (before parsing). */
export type MethodArgs<C extends Contract, K extends keyof C['methods']> = Tuple<ArgsOf<C['methods'][K]>>;

/** The argument tuple an implementation receives (after parsing: defaults filled in). */
export type ParsedMethodArgs<C extends Contract, K extends keyof C['methods']> = Tuple<ParsedArgsOf<C['methods'][K]>>;

/** The value type of a contract's method. */
export type MethodResult<C extends Contract, K extends keyof C['methods']> = ResultOf<C['methods'][K]>;

/** The payload type of a contract's event. */
export type EventPayload<C extends Contract, K extends keyof C['events']> = PayloadOf<C['events'][K]>;

/** A function that publishes an event of a service to every subscriber of the transport. */
export type EventSink<C extends Contract> = <K extends keyof C['events'] & string>(name: K, payload: PayloadOf<C['events'][K]>) => void;
