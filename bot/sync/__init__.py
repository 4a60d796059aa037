"""The sync loop and routing: sync, classify what arrived, run each command in a task of its
own, answer once; the checkpoint that keeps the saved sync token behind any event in flight."""
