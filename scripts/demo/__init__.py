"""One-command demo: ezlock on the simulated lock, paired with a fresh Home Assistant.

``scripts/develop --demo`` runs it (``python -m scripts.demo`` from the repository's
root). It starts the edge driver on simulated hardware and Home Assistant with the
integration, both on loopback, in a throwaway directory, then does what a person would
do on day one, through the same doors a person uses (:mod:`.day_one`):

1. onboards a demo owner account in Home Assistant (its onboarding REST API);
2. creates the lock's first administrator on the simulated keypad (the manual's
   initial-state flow, L-26), listening to the voice prompts at each step;
3. adds the lock through the integration's real config flow (HA's config-entry flow
   REST API): SET held on the rear panel opens the pairing window (L-65) and the
   verification code is read from the sticker (L-64);
4. names the lock's first user from Home Assistant (``ezlock.set_lock_user``) and
   switches remote unlock on (L-43), so the lock opens from Home Assistant's UI;

then prints where to look and waits. Ctrl-C (SIGINT) or SIGTERM stops everything.
When it is ready it also writes ``demo.json`` into its directory, for the e2e test.

One job a module: :mod:`.__main__` the command line, :mod:`.run` the run loop and the
banner, :mod:`.day_one` the person's steps, :mod:`.home_assistant` the parts of Home
Assistant's REST and WebSocket APIs they use, :mod:`.programs` the two programs and
their ports, :mod:`.processes` a child process, :mod:`.directory` the throwaway
directory, :mod:`.waiting` the wait on a condition, :mod:`.errors` the demo's error.
"""
