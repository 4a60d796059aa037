"""The document flow: publishing into folders, the intake of delegations' proposals, reference
suggestions, compilation and distribution, and documents resent to members who join late. The
engine itself (bytes in, bytes out) is `documents`."""
