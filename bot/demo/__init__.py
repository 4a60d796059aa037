"""The demo working group (`make demo`) and what the tests share with it: a Synapse started from
the installed package, sample documents, and a scripted scenario."""
