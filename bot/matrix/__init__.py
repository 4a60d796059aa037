"""Matrix, spoken in one place.

- gateway.py: the platform's account through nio (login or restore, sync, send, files), which
  turns nio's error values into raised errors;
- client_server.py: plain HTTP calls of the client-server API (rooms, state, keys) for what nio
  lacks; the gateway is one too;
- errors.py: what a failed homeserver call raises;
- e2ee.py: the bot's own cross-signing and the queue of events waiting for their keys;
- one_time_keys.py: the device's one-time keys on the homeserver, replaced after a restore or
  when an upload finds an id taken;
- direct_rooms.py: the bot's encrypted direct room with one person, found or made (`m.direct`);
- private_files.py: files only the platform may read (mode 0600)."""
