"""Governance in the shell: the roster and its changes, reconciling rooms with what the roster
wants, enforcing the rules on what happens anyway, the trust of people's identities and the
watch over the platform's own accounts. The rules themselves live in `room_policies`."""
