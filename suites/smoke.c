/*
 * smoke.c - one quick run of every program against its partner (or a
 * scripted peer) in a private lab, checking stdout and exit status against
 * PROGRAMS.md.  The conformance suites go much further; these exist so a
 * broken build or a badly broken program is caught in seconds.
 */
#include "sct.h"

#include <string.h>


TestSuite(smoke, .fini = sct_cleanup);


Test(smoke, udp_local, .timeout = 20)
{
        const char *prog = sct_prog("udp_local");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {prog, "server", NULL}, *cli_argv[] = {prog, "client", NULL};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);

        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli,
                      "The OS assigned me the address \\('0\\.0\\.0\\.0', [0-9]+\\)\n"
                      "The server \\('127\\.0\\.0\\.1', 1060\\) replied 'Your data was (38|31) bytes long'\n",
                      lab);
        SCT_OK(sc_proc_stop(srv));
        sct_expect_stdout(srv,
                      "Listening at \\('127\\.0\\.0\\.1', 1060\\)\n"
                      "The client at " SCT_RE_LOOP_ADDR " says 'The time is " SCT_RE_DATETIME "'\n",
                      lab);
}

Test(smoke, udp_remote_client_answered, .timeout = 20)
{
        const char *prog = sct_prog("udp_remote");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *peer_argv[] = {sct_peer(), "udp", "1060", NULL};
        const char *cli_argv[] = {prog, "client", "127.0.0.1", NULL};
        struct sc_proc *cli;

        sct_server(lab, 0, "peer", IPPROTO_UDP, 1060, peer_argv);
        cli = sct_run(lab, 0, "client", NULL, cli_argv);
        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli,
                      "Client socket name is " SCT_RE_LOOP_ADDR "\n"
                      "Waiting up to 0\\.1 seconds for a reply\n"
                      "The server says 'Your data was 23 bytes long'\n",
                      lab);
}

Test(smoke, udp_remote_client_gives_up, .timeout = 20)
{
        const char *prog = sct_prog("udp_remote");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *peer_argv[] = {sct_peer(), "udp", "1060", "--silent", NULL};
        const char *cli_argv[] = {prog, "client", "127.0.0.1", NULL};
        struct sc_proc *cli, *peer;
        double ended;

        peer = sct_server(lab, 0, "peer", IPPROTO_UDP, 1060, peer_argv);
        cli = sct_run(lab, 0, "client", NULL, cli_argv);
        sct_expect_exit(cli, 1, 8);
        ended = sc_now();
        sct_expect_stdout(cli,
                      "Client socket name is " SCT_RE_LOOP_ADDR "\n"
                      "Waiting up to 0\\.1 seconds for a reply\n"
                      "Waiting up to 0\\.2 seconds for a reply\n"
                      "Waiting up to 0\\.4 seconds for a reply\n"
                      "Waiting up to 0\\.8 seconds for a reply\n"
                      "Waiting up to 1\\.6 seconds for a reply\n",
                      lab);
        cr_assert_str_eq(sct_stderr_tail(cli),
                         "RuntimeError: I think the server is down");
        /*
         * 3.1 s of waiting, from its first datagram to its end, as the book
         * tier measures it: the jail's set-up and the interpreter's start
         * are not the program's schedule (under load they took 0.9 s once).
         */
        sct_expect_gave_up(peer, ended, 3.1, lab);
}

Test(smoke, udp_remote_client_refused, .timeout = 20)
{
        const char *prog = sct_prog("udp_remote");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *cli_argv[] = {prog, "client", "127.0.0.1", NULL};
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);

        sct_expect_exit(cli, 1, 2);
        sct_expect_stdout(cli, "Client socket name is " SCT_RE_LOOP_ADDR "\nWaiting up to 0\\.1 seconds for a reply\n",
                      lab);
        cr_assert(strstr(sct_stderr_tail(cli), "[Errno 111] Connection refused"),
                  "stderr ends: %s", sct_stderr_tail(cli));
}

Test(smoke, udp_remote_server, .timeout = 20)
{
        const char *prog = sct_prog("udp_remote");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {prog, "server", "", NULL};
        const char *cli_argv[] = {sct_ref("udp_remote"), "client", "127.0.0.1", NULL};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_UDP, 1060, srv_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);

        /* The server drops half: the client's five tries all fail only 1 time in 32. */
        sc_proc_wait(cli, 5);
        SCT_OK(sc_proc_stop(srv));
        sct_expect_stdout(srv,
                      "Listening at \\('0\\.0\\.0\\.0', 1060\\)\n"
                      "((Pretending to drop packet from " SCT_RE_LOOP_ADDR
                      "|The client at " SCT_RE_LOOP_ADDR " says 'This is another message')\n)+",
                      lab);
}

Test(smoke, big_sender_loopback, .timeout = 20)
{
        const char *prog = sct_prog("big_sender");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *argv[] = {prog, "127.0.0.1", NULL};
        struct sc_proc *p = sct_run(lab, 0, "sender", NULL, argv);

        sct_expect_exit(p, 0, 5);
        sct_expect_stdout(p, "The big datagram was sent!\n", lab);
}

Test(smoke, big_sender_mtu_1500, .timeout = 20)
{
        const char *prog;
        struct sc_lab *lab;
        int a, b, s;
        struct sc_proc *p;

        SCT_NEED_NAMESPACES();
        prog = sct_prog("big_sender");
        lab = sct_lab(NULL);
        a = sc_lab_host(lab, "sender");
        b = sc_lab_host(lab, "target");
        s = sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500);
        SCT_OK(sc_lab_attach(lab, a, s, 1));
        SCT_OK(sc_lab_attach(lab, b, s, 2));
        SCT_OK(sc_lab_start(lab));
        {
                const char *argv[] = {prog, "10.0.1.2", NULL};

                p = sct_run(lab, a, "sender", NULL, argv);
        }
        sct_expect_exit(p, 0, 5);
        sct_expect_stdout(p, "Alas, the datagram did not make it\nActual MTU: 1500\n", lab);
}

Test(smoke, udp_broadcast, .timeout = 20)
{
        const char *prog;
        struct sc_lab *lab;
        int a, b, s;
        struct sc_proc *srv, *cli;

        SCT_NEED_NAMESPACES();
        prog = sct_prog("udp_broadcast");
        lab = sct_lab(NULL);
        a = sc_lab_host(lab, "sender");
        b = sc_lab_host(lab, "listener");
        s = sc_lab_segment(lab, "lan", "10.0.1.0/24", 1500);
        SCT_OK(sc_lab_attach(lab, a, s, 1));
        SCT_OK(sc_lab_attach(lab, b, s, 2));
        SCT_OK(sc_lab_start(lab));
        {
                const char *srv_argv[] = {prog, "server", "", NULL};
                const char *cli_argv[] = {prog, "client", "10.0.1.255", NULL};

                srv = sct_server(lab, b, "server", IPPROTO_UDP, 1060, srv_argv);
                cli = sct_run(lab, a, "client", NULL, cli_argv);
        }
        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli, "", lab);
        /* The datagram is on its way; wait for it without depending on the server's buffering. */
        sc_proc_wait_output(srv, "Broadcast datagram!", 2.0);
        SCT_OK(sc_proc_stop(srv));
        sct_expect_stdout(srv,
                      "Listening for datagrams at \\('0\\.0\\.0\\.0', 1060\\)\n"
                      "The client at \\('10\\.0\\.1\\.1', [0-9]+\\) says: 'Broadcast datagram!'\n",
                      lab);
}

Test(smoke, tsTserv_tsTclnt, .timeout = 20)
{
        const char *serv = sct_prog("tsTserv"), *clnt = sct_prog("tsTclnt");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {serv, NULL}, *cli_argv[] = {clnt, NULL};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_TCP, 21567, srv_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", "hi\nthere\n\n", cli_argv);

        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli, "> \\[" SCT_RE_CTIME "\\] hi\n> \\[" SCT_RE_CTIME "\\] there\n> ", lab);
        SCT_OK(sc_proc_stop(srv));
        sct_expect_stdout(srv,
                      "waiting for connection\\.\\.\\.\n\\.\\.\\.connected from: " SCT_RE_LOOP_ADDR
                      "\nwaiting for connection\\.\\.\\.\n",
                      lab);
}

Test(smoke, tsUserv_tsUclnt, .timeout = 20)
{
        const char *serv = sct_prog("tsUserv"), *clnt = sct_prog("tsUclnt");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {serv, NULL}, *cli_argv[] = {clnt, NULL};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_UDP, 21567, srv_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", "hi\nthere\n\n", cli_argv);

        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli, "> \\[" SCT_RE_CTIME "\\] hi\n> \\[" SCT_RE_CTIME "\\] there\n> ", lab);
        SCT_OK(sc_proc_stop(srv));
        sct_expect_stdout(srv,
                      "waiting for message\\.\\.\\.\n"
                      "\\.\\.\\.received from and returned to: " SCT_RE_LOOP_ADDR "\n"
                      "waiting for message\\.\\.\\.\n"
                      "\\.\\.\\.received from and returned to: " SCT_RE_LOOP_ADDR "\n"
                      "waiting for message\\.\\.\\.\n",
                      lab);
}

Test(smoke, time_server_time_client, .timeout = 20)
{
        const char *serv = sct_prog("time_server"), *clnt = sct_prog("time_client");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {serv, NULL}, *cli_argv[] = {clnt, NULL};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_TCP, 9999, srv_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);

        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli, "The time got from the server is " SCT_RE_CTIME "\r\n\n", lab);
        SCT_OK(sc_proc_stop(srv));
        sct_expect_stdout(srv, "Got a connection from " SCT_RE_LOOP_ADDR "\n", lab);
}

Test(smoke, echo_server_echo_client, .timeout = 20)
{
        const char *serv = sct_prog("echo_server"), *clnt = sct_prog("echo_client");
        struct sc_lab *lab = sct_lab_loopback("h1");
        const char *srv_argv[] = {serv, NULL}, *cli_argv[] = {clnt, NULL};
        struct sc_proc *srv = sct_server(lab, 0, "server", IPPROTO_TCP, 12345, srv_argv);
        struct sc_proc *cli = sct_run(lab, 0, "client", NULL, cli_argv);

        sct_expect_exit(cli, 0, 5);
        sct_expect_stdout(cli, "Received b'Hello, world'\n", lab);
        sct_expect_exit(srv, 0, 5);
        sct_expect_stdout(srv, "Connected by " SCT_RE_LOOP_ADDR "\n", lab);
}
