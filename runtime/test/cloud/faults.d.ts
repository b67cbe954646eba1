import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
type StackClient = Pick<DynamoDBClient, "middlewareStack">;
/** Counts calls that reached the client. */
export interface CallCounter {
    calls: number;
}
/**
 * Makes the first `n` calls throw `makeError()` before they leave the client (the server is
 * never asked); later calls go through to the real peer.
 */
export declare function failFirstCalls(client: StackClient, n: number, makeError: () => Error): CallCounter;
/**
 * For the first `times` BatchWriteItem calls, withholds the first `withhold` requests of each
 * table: the rest is really written by the peer, the withheld ones come back as
 * UnprocessedItems — DynamoDB's partial success (FM-12).
 */
export declare function withholdBatchItems(client: StackClient, withhold: number, times: number): CallCounter;
/** An SDK-shaped service error (name = error code, HTTP metadata). */
export declare function awsError(name: string, httpStatusCode: number): Error;
/** A port on 127.0.0.1 with nothing listening (taken from a server that was then closed). */
export declare function closedPort(): Promise<number>;
/**
 * A TCP server that accepts connections and never answers: requests to it hang until the
 * client's request timeout (an overloaded peer / exhausted pool).
 */
export declare function blackHole(): Promise<{
    port: number;
    close(): Promise<void>;
}>;
/** A sleep that records requested delays and returns at once. */
export declare function recordingSleep(): {
    delays: number[];
    sleep: (ms: number) => Promise<void>;
};
export {};
//# sourceMappingURL=faults.d.ts.map