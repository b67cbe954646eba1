/** Naming helpers shared by emitters (identifiers derived from spec ids). */
import { prettyLiteral } from "../output/literal.js";

/** `order_id` / `order-id` / `orderStatus` -> `OrderId` / `OrderStatus`. */
export function pascal(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

/** `orderStatus` / `status-ingest` -> `orderStatus` / `statusIngest`. */
export function camel(id: string): string {
  const p = pascal(id);
  return p[0]!.toLowerCase() + p.slice(1);
}

/** A TypeScript literal for plain data, printed as prettier prints it at the start of a line. */
export function literal(value: unknown): string {
  return prettyLiteral(value);
}

/** Joins source paths for a generated header. */
export function sourceList(sources: readonly string[]): string {
  return [...sources].sort().join(", ");
}
