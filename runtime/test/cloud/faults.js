/**
 * Fault injection for AWS SDK v3 clients talking to real local peers (dynalite, s3rver):
 * middleware added at the front of the client's stack.
 */
import { createServer } from "node:net";
// The SDK's middleware types are generic over every command; these helpers only look at
// `input`/`output` as plain records, hence the cast.
function initializeMiddleware(fn) {
    return fn;
}
/**
 * Makes the first `n` calls throw `makeError()` before they leave the client (the server is
 * never asked); later calls go through to the real peer.
 */
export function failFirstCalls(client, n, makeError) {
    const counter = { calls: 0 };
    client.middlewareStack.add(initializeMiddleware((next) => async (args) => {
        counter.calls++;
        if (counter.calls <= n)
            throw makeError();
        return next(args);
    }), { step: "initialize", name: "fault-fail-first", priority: "high" });
    return counter;
}
/**
 * For the first `times` BatchWriteItem calls, withholds the first `withhold` requests of each
 * table: the rest is really written by the peer, the withheld ones come back as
 * UnprocessedItems — DynamoDB's partial success (FM-12).
 */
export function withholdBatchItems(client, withhold, times) {
    const counter = { calls: 0 };
    client.middlewareStack.add(initializeMiddleware((next) => async (args) => {
        const requestItems = args.input.RequestItems;
        if (!requestItems)
            return next(args);
        counter.calls++;
        if (counter.calls > times)
            return next(args);
        const withheld = {};
        const sent = {};
        for (const [table, requests] of Object.entries(requestItems)) {
            withheld[table] = requests.slice(0, withhold);
            if (requests.length > withhold)
                sent[table] = requests.slice(withhold);
        }
        const result = Object.keys(sent).length > 0
            ? await next({ ...args, input: { ...args.input, RequestItems: sent } })
            : { output: { $metadata: {}, UnprocessedItems: {} } };
        result.output.UnprocessedItems = withheld;
        return result;
    }), { step: "initialize", name: "fault-withhold-batch", priority: "high" });
    return counter;
}
/** An SDK-shaped service error (name = error code, HTTP metadata). */
export function awsError(name, httpStatusCode) {
    const error = new Error(`${name} (injected)`);
    error.name = name;
    Object.assign(error, {
        $metadata: { httpStatusCode },
        $fault: httpStatusCode >= 500 ? "server" : "client",
    });
    return error;
}
/** A port on 127.0.0.1 with nothing listening (taken from a server that was then closed). */
export async function closedPort() {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address();
    await new Promise((resolve) => server.close(() => resolve()));
    return port;
}
/**
 * A TCP server that accepts connections and never answers: requests to it hang until the
 * client's request timeout (an overloaded peer / exhausted pool).
 */
export async function blackHole() {
    const sockets = new Set();
    const server = createServer((socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address();
    return {
        port,
        close: async () => {
            for (const s of sockets)
                s.destroy();
            await new Promise((resolve) => server.close(() => resolve()));
        },
    };
}
/** A sleep that records requested delays and returns at once. */
export function recordingSleep() {
    const delays = [];
    return { delays, sleep: async (ms) => void delays.push(ms) };
}
//# sourceMappingURL=faults.js.map