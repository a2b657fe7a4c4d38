#!/usr/bin/perl
# Hostile peers for the extension socket, all in this one process (perl-base is Essential on Debian, so this
# needs nothing installed): IDLE connections that never send, and TRICKLING ones that send one byte every
# 200 ms of a request declaring a 4 KiB string. Whenever the server closes one, it reconnects at once, as
# fast as it can. Prints "open <n> connections <total>" twice a second, and "done ..." at the end.
#
#   perl hostile-peers.pl SOCKET IDLE TRICKLING SECONDS
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

my ($path, $idle, $trickling, $seconds) = @ARGV;
die "usage: $0 SOCKET IDLE TRICKLING SECONDS\n" unless defined $seconds;
$| = 1;
$SIG{PIPE} = 'IGNORE';

my $request = pack('N', 0x80010001) . pack('N', 4) . 'call' . pack('N', 0) . pack('CnN', 11, 1, 4096) . ('x' x 4096);
my $count = $idle + $trickling;
my (@socket, @sent);
my %index_of; # fileno -> peer
my $select = IO::Select->new;
my ($connections, $failures) = (0, 0);

sub open_peer {
    my ($i) = @_;
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path);
    if (!$s) {
        $failures++;
        return;
    }
    $s->blocking(0);
    $socket[$i] = $s;
    $sent[$i] = 0;
    $index_of{fileno($s)} = $i;
    $select->add($s);
    $connections++;
}

sub close_peer {
    my ($s) = @_;
    my $i = delete $index_of{fileno($s)};
    $select->remove($s);
    close($s);
    $socket[$i] = undef if defined $i;
}

open_peer($_) for 0 .. $count - 1;
my $end = time + $seconds;
my $next_trickle = time + 0.2;
my $next_report = time;
while (time < $end) {
    for my $s ($select->can_read(0.02)) {
        my $n = sysread($s, my $buffer, 4096);
        close_peer($s) if !defined $n || $n == 0;
    }
    for my $i (0 .. $count - 1) {
        open_peer($i) unless defined $socket[$i];
    }
    if (time >= $next_trickle) {
        $next_trickle += 0.2;
        for my $i ($idle .. $count - 1) {
            my $s = $socket[$i] or next;
            my $written = syswrite($s, substr($request, $sent[$i] % length($request), 1));
            if (defined $written) { $sent[$i] += $written } else { close_peer($s) }
        }
    }
    if (time >= $next_report) {
        $next_report += 0.5;
        printf "open %d connections %d failures %d\n", scalar(keys %index_of), $connections, $failures;
    }
}
printf "done open %d connections %d failures %d\n", scalar(keys %index_of), $connections, $failures;
