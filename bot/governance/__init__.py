"""Governance in the shell: the roster and its changes, reconciling rooms with what the roster
wants, enforcing the rules on what happens anyway, the trust of people's identities and the
watch over the platform's own accounts, the room keys given back to a person's new device
(`key_sharing.py`), and the welcome each person of the roster gets the first
time they join (`welcome.py`). The rules themselves live in `room_policies`."""
