"""What SMSC's protocols say, sans-I/O: formats and protocol state, never a socket.

Rule: modules here turn values into bytes or strings and back, and keep protocol state
machines; they never open a socket, start a thread, wait on a selector or touch an event
loop, and never import ``backends/``, ``emulator/``, ``cli/``, ``callbacks/`` or
``contrib/``. They import the standard library's pure parts, the value core
(``message``, ``results``, ``errors``, ``statuses``, ``encoding``, ``translit``,
``config``, ``transport``) and pure codecs (``smpplib``'s constants, ``lxml``). So the
client backends, the emulator's server side and the tests all drive the same code, and
a test of this layer needs no server (``tests/wire`` runs in seconds).

* ``http`` — SMSC's HTTP API: parameters, answers, codes, Moscow time.
* ``mail/`` — the e-mail-to-SMS body, its MIME message, the SMTP replies.
* ``soap/`` — SOAP operations, envelopes and the shipped WSDL.
* ``smpp/`` — the SMPP 3.4 codec; ``smpp/session/`` the ESME's state machine.

``tests/test_layers.py`` holds these rules.
"""
