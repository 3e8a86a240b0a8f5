# The registrator tests' backend: answers every request with its container name, and /health with 200.
# Perl because Debian's minbase image (the test base) has perl-base and no other HTTP-capable runtime.
use strict;
use IO::Socket::INET;
$SIG{PIPE} = 'IGNORE';
my $port = $ENV{PORT} || 8080;
my $s = IO::Socket::INET->new(LocalPort => $port, Listen => 64, ReuseAddr => 1, Proto => 'tcp') or die "listen $port: $!";
my $name = `hostname`;
chomp $name;
while (my $c = $s->accept) {
  my $line = <$c>;
  while (my $h = <$c>) { last if $h =~ /^\r?\n$/; }
  my $body = "I'm $name " . ($ENV{VERSION} || '') . "\n";
  print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
  close $c;
}
