/** Types for plantuml-encoder 1.4 (the package ships none). */
declare module "plantuml-encoder" {
  /** Deflates and encodes diagram text for a `https://www.plantuml.com/plantuml/<format>/<encoded>` URL. */
  export function encode(puml: string): string;
  /** The inverse of `encode`. */
  export function decode(encoded: string): string;
  const encoder: { encode: typeof encode; decode: typeof decode };
  export default encoder;
}
