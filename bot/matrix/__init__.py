"""Matrix, spoken in one place: the gateway that turns nio's error values into raised errors,
end-to-end encryption (the persisted store, one device for life, the bot's own cross-signing, the
queue of events waiting for their keys), and the files only the platform may read."""
