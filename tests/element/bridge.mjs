// Element's own crypto for the integration tests: one matrix-js-sdk client (Rust crypto, built
// to WebAssembly) in "exclude insecure devices" mode (OnlySignedDevicesIsolationMode), driven
// over JSON lines.
//
// stdin:  one request a line,  {"id": 1, "op": "login", ...arguments}
// stdout: one response a line, {"id": 1, "ok": true, "result": ...}
//                          or  {"id": 1, "ok": false, "error": {"message", "errcode", "status"}}
// stderr: logs: the bridge's own and the SDK's (which, like Element's rageshakes, carry ids and
//         timings, never message content, passwords or access tokens).
//
// The operations are in OPS below; tests/integration/element_client.py is the Python side.
//
// matrix-js-sdk 43 declares Node >= 22; on Node 20 the only missing piece it uses is
// Promise.withResolvers, defined below before the SDK is loaded (the tests prove the rest).

// Node 20 lacks Promise.withResolvers, which recent matrix-js-sdk versions call.
if (typeof Promise.withResolvers !== "function") {
    Promise.withResolvers = function withResolvers() {
        let resolve;
        let reject;
        const promise = new this((res, rej) => {
            resolve = res;
            reject = rej;
        });
        return { promise, resolve, reject };
    };
}

// stdout is the protocol: everything the SDK prints goes to stderr.
const toStderr =
    (level) =>
    (...args) =>
        process.stderr.write(
            `[${level}] ${args.map((a) => (typeof a === "string" ? a : safeInspect(a))).join(" ")}\n`,
        );
function safeInspect(value) {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    try {
        return JSON.stringify(value);
    } catch {
        return String(value);
    }
}
for (const level of ["log", "info", "debug", "trace", "warn", "error"]) {
    console[level] = toStderr(level);
}

import { readFileSync } from "node:fs";
import readline from "node:readline";

// Imported after the two patches above (static imports would run first).
const sdk = await import("matrix-js-sdk");
const cryptoApi = await import("matrix-js-sdk/lib/crypto-api/index.js");

const {
    ClientEvent,
    MatrixEventEvent,
    RoomMemberEvent,
    EventType,
    KnownMembership,
    createClient,
} = sdk;
const { AllDevicesIsolationMode, OnlySignedDevicesIsolationMode } = cryptoApi;

// Whom the client encrypts to: "exclude_insecure" (the tests' default: Element's "exclude
// insecure devices", devices cross-signed by their owner only) or "all_devices" (the SDK's
// default, Element's with that setting off: every device of every member, unless blacklisted).
function isolationMode(name) {
    if (name === undefined || name === null || name === "exclude_insecure") {
        return new OnlySignedDevicesIsolationMode();
    }
    if (name === "all_devices") return new AllDevicesIsolationMode(false);
    throw new BridgeError(`unknown isolation mode ${name}`);
}

const state = {
    homeserver: null,
    userId: null,
    deviceId: null,
    password: null,
    client: null,
    events: new Map(), // event id -> MatrixEvent, in arrival order
    waiters: new Set(), // {matches(event), resolve}
    autoJoin: false,
    joining: new Set(),
    toDevice: [], // {type, messages: {user: {device: content}}} as sent by this client
    started: false,
};

function log(message) {
    process.stderr.write(`[bridge] ${message}\n`);
}

function send(obj) {
    process.stdout.write(JSON.stringify(obj) + "\n");
}

class BridgeError extends Error {
    constructor(message, extra = {}) {
        super(message);
        Object.assign(this, extra);
    }
}

function errorOf(err) {
    const out = { message: err?.message ?? String(err) };
    if (err?.name && err.name !== "Error") out.name = err.name;
    if (err?.errcode) out.errcode = err.errcode;
    if (err?.httpStatus) out.status = err.httpStatus;
    if (err?.status) out.status = err.status;
    if (err?.code && typeof err.code === "string") out.code = err.code;
    // A Matrix error's whole body (e.g. a module's reason and rule beside errcode and error).
    if (err?.data && typeof err.data === "object" && !Array.isArray(err.data)) out.data = err.data;
    return out;
}

// Every HTTP request of the client goes through here: to-device sends are recorded (to whom the
// client sent room keys, and which withheld notices), nothing else is touched.
async function recordingFetch(input, init) {
    const url = typeof input === "string" ? input : (input?.url ?? String(input));
    const match = /\/sendToDevice\/([^/]+)\//.exec(url);
    if (match && init?.body) {
        try {
            const body = JSON.parse(init.body);
            state.toDevice.push({
                type: decodeURIComponent(match[1]),
                messages: body.messages ?? {},
            });
        } catch {
            // not JSON: not ours to judge
        }
    }
    return fetch(input, init);
}

function client() {
    if (!state.client) throw new BridgeError("not logged in");
    return state.client;
}

function crypto() {
    const c = client().getCrypto();
    if (!c) throw new BridgeError("the client has no crypto");
    return c;
}

// ---- events ----------------------------------------------------------------------------------

function relation(content) {
    const rel = content?.["m.relates_to"];
    if (!rel) return {};
    return {
        rel_type: rel.rel_type,
        event_id: rel.event_id,
        in_reply_to: rel["m.in_reply_to"]?.event_id,
    };
}

function view(event) {
    const failure = event.isDecryptionFailure();
    return {
        event_id: event.getId(),
        room_id: event.getRoomId(),
        type: failure ? event.getWireType() : event.getType(),
        wire_type: event.getWireType(),
        sender: event.getSender(),
        state_key: event.getStateKey() ?? null,
        encrypted: event.isEncrypted(),
        decryption_failure: failure ? (event.decryptionFailureReason ?? "UNKNOWN_ERROR") : null,
        content: failure ? {} : event.getContent(),
        origin_server_ts: event.getTs(),
    };
}

// A predicate sent by the tests: all given fields must hold.
//   room_id, sender, event_id, type, msgtype, body_contains, relates_to (an event id the event
//   replies to, threads under or otherwise relates to), decryption_failure (null or omitted: only
//   events that the client shows; "any": only failures; a code: that failure).
function matcher(p) {
    return (event) => {
        if (event.isBeingDecrypted() || event.shouldAttemptDecryption?.()) return false;
        if (p.room_id && event.getRoomId() !== p.room_id) return false;
        if (p.sender && event.getSender() !== p.sender) return false;
        if (p.event_id && event.getId() !== p.event_id) return false;
        const failure = event.isDecryptionFailure()
            ? (event.decryptionFailureReason ?? "UNKNOWN_ERROR")
            : null;
        if (p.decryption_failure === "any") {
            if (!failure) return false;
        } else if (p.decryption_failure) {
            if (failure !== p.decryption_failure) return false;
        } else if (failure || event.getType() === EventType.RoomMessageEncrypted) {
            return false;
        }
        if (!failure) {
            const content = event.getContent();
            if (p.type && event.getType() !== p.type) return false;
            if (p.msgtype && content.msgtype !== p.msgtype) return false;
            if (p.body_contains && !String(content.body ?? "").includes(p.body_contains))
                return false;
            if (p.relates_to) {
                const rel = relation(content);
                if (rel.event_id !== p.relates_to && rel.in_reply_to !== p.relates_to)
                    return false;
            }
        } else if (p.type || p.msgtype || p.body_contains || p.relates_to) {
            return false;
        }
        return true;
    };
}

function consider(event) {
    if (!event.getId() || event.getId().startsWith("~")) return; // local echo
    if (event.getRoomId() === undefined) return;
    state.events.set(event.getId(), event);
    for (const waiter of state.waiters) {
        if (waiter.matches(event)) {
            state.waiters.delete(waiter);
            waiter.resolve(view(event));
        }
    }
}

function findSeen(matches) {
    for (const event of state.events.values()) if (matches(event)) return event;
    return null;
}

// ---- operations ------------------------------------------------------------------------------

const OPS = {
    async login({ homeserver, user, password, device_name, isolation = null }) {
        if (state.client) throw new BridgeError("already logged in");
        const mode = isolationMode(isolation);
        const anonymous = createClient({ baseUrl: homeserver, fetchFn: recordingFetch });
        const response = await anonymous.loginRequest({
            type: "m.login.password",
            identifier: { type: "m.id.user", user },
            password,
            initial_device_display_name: device_name ?? "Element (tests)",
        });
        anonymous.stopClient();
        state.password = password;
        return await startSession(homeserver, response, mode);
    },

    // A session from an access token someone else obtained (e.g. the admin login API); the
    // crypto needs the token to belong to a device.
    async use_token({ homeserver, access_token, isolation = null }) {
        if (state.client) throw new BridgeError("already logged in");
        const mode = isolationMode(isolation);
        const anonymous = createClient({
            baseUrl: homeserver,
            accessToken: access_token,
            fetchFn: recordingFetch,
        });
        const who = await anonymous.whoami();
        anonymous.stopClient();
        if (!who.device_id) {
            throw new BridgeError("the token belongs to no device", { code: "no_device" });
        }
        return await startSession(homeserver, { ...who, access_token }, mode);
    },

    async bootstrap_cross_signing({ password = null }) {
        const c = crypto();
        await c.bootstrapCrossSigning({
            setupNewCrossSigning: true,
            authUploadDeviceSigningKeys: async (makeRequest) => {
                try {
                    await makeRequest(null);
                } catch (err) {
                    const session = err?.data?.session;
                    if (err?.httpStatus !== 401 || !session) throw err;
                    await makeRequest({
                        type: "m.login.password",
                        identifier: { type: "m.id.user", user: state.userId },
                        password: password ?? state.password,
                        session,
                    });
                }
            },
        });
        const status = await c.getCrossSigningStatus();
        const device = await c.getDeviceVerificationStatus(state.userId, state.deviceId);
        return {
            ready: await c.isCrossSigningReady(),
            public_keys_on_device: status.publicKeysOnDevice,
            private_keys_cached: status.privateKeysCachedLocally,
            device_signed_by_owner: device?.signedByOwner ?? false,
        };
    },

    async start_sync() {
        const c = client();
        if (state.started) return { state: c.getSyncState() };
        state.started = true;
        const ready = new Promise((resolve, reject) => {
            const onSync = (syncState) => {
                if (syncState === "PREPARED" || syncState === "SYNCING") {
                    c.off(ClientEvent.Sync, onSync);
                    resolve(syncState);
                } else if (syncState === "ERROR") {
                    c.off(ClientEvent.Sync, onSync);
                    reject(new BridgeError("the first sync failed"));
                }
            };
            c.on(ClientEvent.Sync, onSync);
        });
        await c.startClient({ initialSyncLimit: 50, lazyLoadMembers: true });
        return { state: await ready };
    },

    async accept_invites() {
        const c = client();
        state.autoJoin = true;
        const joined = [];
        for (const room of c.getRooms()) {
            if (room.getMyMembership() === KnownMembership.Invite) {
                if (await autoJoin(room.roomId)) joined.push(room.roomId);
            }
        }
        return { joined };
    },

    async join({ room_id }) {
        const room = await client().joinRoom(room_id);
        return { room_id: room.roomId };
    },

    async invite({ room_id, user_id }) {
        await client().invite(room_id, user_id);
        return {};
    },

    async create_room({ invite = [], name = "test", encrypted = true }) {
        const initial_state = encrypted
            ? [
                  {
                      type: "m.room.encryption",
                      state_key: "",
                      content: { algorithm: "m.megolm.v1.aes-sha2" },
                  },
              ]
            : [];
        const { room_id } = await client().createRoom({ name, invite, initial_state });
        return { room_id };
    },

    async wait_joined({ room_id, user_id, timeout_s = 30 }) {
        const c = client();
        const deadline = Date.now() + timeout_s * 1000;
        while (Date.now() < deadline) {
            const room = c.getRoom(room_id);
            if (room?.getMember(user_id)?.membership === KnownMembership.Join) return {};
            await sleep(200);
        }
        throw new BridgeError(`${user_id} did not join ${room_id}`, { code: "timeout" });
    },

    async send_text({ room_id, body, thread_root = null, reply_to = null, html = null }) {
        const c = client();
        const content = { msgtype: "m.text", body };
        if (html !== null) {
            content.format = "org.matrix.custom.html";
            content.formatted_body = html;
        }
        if (thread_root) {
            content["m.relates_to"] = {
                rel_type: "m.thread",
                event_id: thread_root,
                is_falling_back: !reply_to,
                "m.in_reply_to": { event_id: reply_to ?? thread_root },
            };
        } else if (reply_to) {
            content["m.relates_to"] = { "m.in_reply_to": { event_id: reply_to } };
        }
        const mark = state.toDevice.length;
        const { event_id } = await c.sendEvent(
            room_id,
            thread_root,
            EventType.RoomMessage,
            content,
        );
        return { event_id, ...keyTraffic(state.toDevice.slice(mark)) };
    },

    // Any room event, encrypted as Element encrypts it in an encrypted room.
    async send_event({ room_id, type, content }) {
        const mark = state.toDevice.length;
        const { event_id } = await client().sendEvent(room_id, null, type, content);
        return { event_id, ...keyTraffic(state.toDevice.slice(mark)) };
    },

    async send_state({ room_id, type, content, state_key = "" }) {
        const { event_id } = await client().sendStateEvent(room_id, type, content, state_key);
        return { event_id };
    },

    async redact({ room_id, event_id, reason = null }) {
        const opts = reason === null ? undefined : { reason };
        const { event_id: redaction } = await client().redactEvent(
            room_id,
            event_id,
            undefined,
            opts,
        );
        return { event_id: redaction };
    },

    async leave({ room_id }) {
        await client().leave(room_id);
        return {};
    },

    // What the client would encrypt a room's next message to, as its crypto judges now: every
    // member's devices and whether each is signed by its owner (OnlySignedDevicesIsolationMode
    // shares room keys only with those).
    async room_devices({ room_id }) {
        const c = client();
        const room = c.getRoom(room_id);
        if (!room) throw new BridgeError(`unknown room ${room_id}`);
        const members = (await room.getEncryptionTargetMembers()).map((m) => m.userId);
        return { users: await devicesOf(members) };
    },

    async devices({ user_id }) {
        return { users: await devicesOf([user_id]) };
    },

    async user_verification({ user_id }) {
        const s = await crypto().getUserVerificationStatus(user_id);
        return {
            known: s.known ?? null,
            verified: s.isVerified(),
            cross_signing_verified: s.isCrossSigningVerified(),
            was_cross_signing_verified: s.wasCrossSigningVerified(),
            needs_user_approval: s.needsUserApproval,
        };
    },

    async pin_identity({ user_id }) {
        await crypto().pinCurrentUserIdentity(user_id);
        return {};
    },

    async wait_for_message({ timeout_s = 30, ...predicate }) {
        const matches = matcher(predicate);
        const seen = findSeen(matches);
        if (seen) return view(seen);
        return await new Promise((resolve, reject) => {
            const waiter = { matches, resolve };
            state.waiters.add(waiter);
            setTimeout(() => {
                if (state.waiters.delete(waiter)) {
                    reject(
                        new BridgeError("the awaited event did not arrive", { code: "timeout" }),
                    );
                }
            }, timeout_s * 1000);
        });
    },

    async messages({ room_id }) {
        const out = [];
        for (const event of state.events.values()) {
            if (event.getRoomId() === room_id && !event.isState()) out.push(view(event));
        }
        return { events: out };
    },

    async encryption_info({ event_id }) {
        const event = state.events.get(event_id);
        if (!event) throw new BridgeError(`unknown event ${event_id}`);
        const info = await crypto().getEncryptionInfoForEvent(event);
        if (!info) return { shield: null, reason: null };
        return {
            shield: cryptoApi.EventShieldColour[info.shieldColour],
            reason:
                info.shieldReason === null
                    ? null
                    : cryptoApi.EventShieldReason[info.shieldReason],
        };
    },

    async whoami() {
        return { user_id: state.userId, device_id: state.deviceId };
    },

    async stop() {
        if (state.client) {
            state.client.stopClient();
            state.client.getCrypto()?.stop?.();
        }
        setImmediate(() => process.exit(0));
        return {};
    },
};

async function startSession(homeserver, { user_id, device_id, access_token }, mode) {
    state.homeserver = homeserver;
    state.userId = user_id;
    state.deviceId = device_id;
    const c = createClient({
        baseUrl: homeserver,
        userId: user_id,
        deviceId: device_id,
        accessToken: access_token,
        fetchFn: recordingFetch,
    });
    await c.initRustCrypto({ useIndexedDB: false });
    c.getCrypto().setDeviceIsolationMode(mode);
    c.on(ClientEvent.Event, consider);
    c.on(MatrixEventEvent.Decrypted, consider);
    c.on(RoomMemberEvent.Membership, (_event, member) => {
        if (
            state.autoJoin &&
            member.userId === state.userId &&
            member.membership === KnownMembership.Invite
        ) {
            autoJoin(member.roomId);
        }
    });
    state.client = c;
    log(`logged in as ${user_id}, device ${device_id}`);
    return { user_id, device_id };
}

async function autoJoin(roomId) {
    if (state.joining.has(roomId)) return false;
    state.joining.add(roomId);
    try {
        await client().joinRoom(roomId);
        log(`joined ${roomId}`);
        return true;
    } catch (err) {
        log(`could not join ${roomId}: ${errorOf(err).message}`);
        state.joining.delete(roomId);
        return false;
    }
}

function keyTraffic(sends) {
    const roomKeysTo = {};
    const withheld = {};
    for (const { type, messages } of sends) {
        for (const [user, devices] of Object.entries(messages)) {
            for (const [device, content] of Object.entries(devices)) {
                if (type === "m.room.encrypted") {
                    (roomKeysTo[user] ??= []).push(device);
                } else if (type === "m.room_key.withheld") {
                    (withheld[user] ??= {})[device] = content?.code ?? null;
                }
            }
        }
    }
    return { olm_sent_to: roomKeysTo, withheld };
}

async function devicesOf(userIds) {
    const c = crypto();
    const map = await c.getUserDeviceInfo(userIds, true);
    const out = {};
    for (const userId of userIds) {
        out[userId] = [];
        for (const [deviceId, device] of map.get(userId) ?? new Map()) {
            const status = await c.getDeviceVerificationStatus(userId, deviceId);
            out[userId].push({
                device_id: deviceId,
                display_name: device.displayName ?? null,
                signed_by_owner: status?.signedByOwner ?? false,
                cross_signing_verified: status?.crossSigningVerified ?? false,
                locally_verified: status?.localVerified ?? false,
                dehydrated: device.dehydrated ?? false,
            });
        }
    }
    return out;
}

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- the loop --------------------------------------------------------------------------------

async function handle(line) {
    let request;
    try {
        request = JSON.parse(line);
    } catch {
        log("ignored a line that is not JSON");
        return;
    }
    const { id, op, ...args } = request;
    const fn = OPS[op];
    if (!fn) {
        send({ id, ok: false, error: { message: `unknown op ${op}` } });
        return;
    }
    try {
        const result = await fn(args);
        send({ id, ok: true, result });
    } catch (err) {
        log(`${op} failed: ${errorOf(err).message}`);
        send({ id, ok: false, error: errorOf(err) });
    }
}

// A background failure of the SDK (a sync cut short by stop, …) is logged, not fatal.
process.on("unhandledRejection", (reason) => log(`unhandled: ${errorOf(reason).message}`));

const input = readline.createInterface({ input: process.stdin, terminal: false });
input.on("line", (line) => {
    if (line.trim()) handle(line);
});
input.on("close", () => {
    state.client?.stopClient();
    process.exit(0);
});
const sdkVersion = JSON.parse(
    readFileSync(new URL("node_modules/matrix-js-sdk/package.json", import.meta.url), "utf8"),
).version;
send({ event: "ready", sdk: sdkVersion });
log("ready");
