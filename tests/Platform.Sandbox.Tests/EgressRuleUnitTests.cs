using Platform.Contracts.Messages;
using Platform.Sandbox.Network;

namespace Platform.Sandbox.Tests;

/// <summary>How an instance's egress rules are checked and turned into iptables matches (no host needed).</summary>
public sealed class EgressRuleUnitTests
{
    [Theory]
    [InlineData("tcp", "10.0.5.10", "5432", "-d 10.0.5.10/32 -p tcp -m tcp --dport 5432")]
    [InlineData("udp", "10.0.5.99/24", "53", "-d 10.0.5.0/24 -p udp -m udp --dport 53")] // host bits cleared
    [InlineData("tcp", "10.0.0.0/8", null, "-d 10.0.0.0/8 -p tcp")]
    [InlineData("all", "0.0.0.0/0", null, "-d 0.0.0.0/0")]
    [InlineData("all", "10.0.5.10-10.0.5.20", null, "-m iprange --dst-range 10.0.5.10-10.0.5.20")]
    [InlineData("all", "10.0.5.0-10.0.5.255", null, "-d 10.0.5.0/24")] // an aligned range is a CIDR
    [InlineData("icmp", "192.168.1.1", null, "-d 192.168.1.1/32 -p icmp")]
    public void A_rule_becomes_one_match(string protocol, string destination, string? ports, string expected)
    {
        var rule = new EgressRule(protocol, destination, ports);
        Assert.Null(rule.Problem());
        Assert.Equal([expected], ContainerEgress.Matches(rule));
    }

    [Fact]
    public void Ports_and_ranges_become_one_match_each_and_icmp_types_are_kept()
    {
        Assert.Equal(["-d 10.1.0.0/16 -p tcp -m tcp --dport 80", "-d 10.1.0.0/16 -p tcp -m tcp --dport 8000:8100"],
            ContainerEgress.Matches(new EgressRule("tcp", "10.1.0.0/16", "80, 8000-8100")));
        Assert.Equal(["-d 10.0.0.1/32 -p icmp -m icmp --icmp-type 8/0"],
            ContainerEgress.Matches(new EgressRule("icmp", "10.0.0.1", IcmpType: 8, IcmpCode: 0)));
    }

    [Theory]
    [InlineData("TCP", "10.0.0.1", null, null, null, "protocol must be one of")]
    [InlineData("tcp", "", null, null, null, "destination must be")]
    [InlineData("tcp", "10.0.0", null, null, null, "is not an IPv4")]
    [InlineData("tcp", "10.0.0.1/", null, null, null, "is not an IPv4")]
    [InlineData("tcp", "10.0.0.1-10.0.0", null, null, null, "is not an IPv4")]
    [InlineData("tcp", "10.0.0.1", "65536", null, null, "ports '65536'")]
    [InlineData("tcp", "10.0.0.1", "a", null, null, "ports 'a'")]
    [InlineData("icmp", "10.0.0.1", null, 256, null, "ICMP type must be 0-255")]
    [InlineData("icmp", "10.0.0.1", null, null, 3, "needs an ICMP type")]
    [InlineData("tcp", "10.0.0.1", null, 8, null, "are for icmp")]
    public void A_bad_rule_says_what_is_wrong(string protocol, string destination, string? ports, int? type, int? code, string expected)
    {
        var problem = new EgressRule(protocol, destination, ports, type, code).Problem();
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void A_list_names_the_bad_rule_and_may_be_absent()
    {
        Assert.Null(EgressRule.Problem(null));
        Assert.Null(EgressRule.Problem([]));
        Assert.StartsWith("egress rule 1:", EgressRule.Problem([new EgressRule("all", "10.0.0.0/8"), new EgressRule("tcp", "x")]));
        Assert.Contains("at most", EgressRule.Problem(Enumerable.Repeat(new EgressRule("all", "10.0.0.1"), EgressRule.MaxRules + 1).ToList()));
    }

    [Fact]
    public void The_chain_is_named_after_the_address_offset_within_iptables_limits()
    {
        var chain = ContainerEgress.ChainFor("ABCDEFGHIJKLMNOP", 0xfffffe);
        Assert.Equal("ABCDEFGHIJKLMNOP-Cfffffe", chain);
        Assert.True(chain.Length <= 28);
    }
}
