/**
 * The protovalidate rules of a field beyond the basic ones of {@link FieldConstraintModel}
 * (which extends this): what `generator/load/protovalidate-rules.ts` compiles and the runtime's
 * `ConstraintChecker` checks. Same names and meaning as the runtime's `FieldConstraint`.
 */
export interface FieldRulesModel {
  /** protovalidate rule family of the scalar rules: `float`, `uint64`, `string`, `enum`, ... */
  readonly ruleType?: string;
  /** Oneof unions on the path: after the key at index `at`, the union must hold `case`. */
  readonly oneofs?: readonly { readonly at: number; readonly case: string }[];
  readonly ignoreZero?: boolean;
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
  readonly finite?: boolean;
  readonly const?: number | string | boolean;
  readonly in?: readonly (number | string)[];
  readonly notIn?: readonly (number | string)[];
  readonly definedOnly?: readonly number[];
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains?: string;
  readonly notContains?: string;
  readonly len?: number;
  readonly minLength?: number;
  readonly lenBytes?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly unique?: boolean;
  /** A well-known string format rule (`string.uuid`, `string.tuuid`), checked as protovalidate does. */
  readonly wellKnown?: WellKnownStringFormat;
}

/** The protovalidate well-known string formats the generator compiles. */
export type WellKnownStringFormat = "uuid" | "tuuid";
