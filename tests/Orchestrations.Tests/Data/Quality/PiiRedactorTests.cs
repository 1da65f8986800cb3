using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

public class PiiRedactorTests
{
    private static string Redact(string text) => PiiRedactor.All.Redact(text).Text;

    [Theory]
    [InlineData("Write to jane.doe+news@example.co.uk today.", "Write to <EMAIL> today.")]
    [InlineData("Mail A.B_C%d@mail-server.example.org.", "Mail <EMAIL>.")]
    [InlineData("(bob@example.com)", "(<EMAIL>)")]
    [InlineData("x@example.com,y_z@sub.example.io;", "<EMAIL>,<EMAIL>;")]
    [InlineData(".lead@example.com", ".<EMAIL>")]
    public void Redact_EmailAddress_ReplacedWithEmailPlaceholder(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Theory]
    [InlineData("ping me at @handle on the forum")]
    [InlineData("root@localhost is not routable")]
    [InlineData("the a@b form has no domain")]
    [InlineData("bad a@b..com and a@b.c and a@b.c0m domains")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com is too long")]
    public void Redact_NotAnEmailAddress_Unchanged(string text) => Assert.Equal(text, Redact(text));

    [Theory]
    [InlineData("Call +44 20 7946 0958 now.", "Call <PHONE> now.")]
    [InlineData("Call +1 (415) 555-2671 now.", "Call <PHONE> now.")]
    [InlineData("Call +14155552671 now.", "Call <PHONE> now.")]
    [InlineData("Call +49-30-1234567 now.", "Call <PHONE> now.")]
    [InlineData("Call 0044 20 7946 0958 now.", "Call <PHONE> now.")]
    [InlineData("Call 020 7946 0958 now.", "Call <PHONE> now.")]
    [InlineData("Call (020) 7946 0958 now.", "Call <PHONE> now.")]
    [InlineData("Call 01 23 45 67 89 now.", "Call <PHONE> now.")]
    [InlineData("Call 07700 900123 now.", "Call <PHONE> now.")]
    [InlineData("Call (415) 555-2671 now.", "Call <PHONE> now.")]
    [InlineData("Call 415-555-2671 now.", "Call <PHONE> now.")]
    [InlineData("Call 415.555.2671 now.", "Call <PHONE> now.")]
    public void Redact_PhoneNumber_ReplacedWithPhonePlaceholder(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Theory]
    [InlineData("Sales grew between 1999 and 2024, from 1998 2000 2010 levels.")]
    [InlineData("It costs $1,234,567.89 or €1 299,99 today.")]
    [InlineData("Upgrade to 10.0.19041.1234 first.")]
    [InlineData("Call 555-1234 for seven digits only.")]
    [InlineData("ISBN 978-3-16-148410-0 is a book.")]
    [InlineData("Due 2024-01-15, then 15.01.2024, then 01/02/2024 at 10:30:45.")]
    [InlineData("Unix time 1700000000 and order 98765432101.")]
    [InlineData("Up 12.5% to 1,000,000 users in 2019-2020.")]
    public void Redact_YearsPricesVersionsDates_Unchanged(string text) => Assert.Equal(text, Redact(text));

    [Theory]
    [InlineData("Card 4111 1111 1111 1111 expires soon.", "Card <CARD> expires soon.")]
    [InlineData("Card 4111-1111-1111-1111 expires soon.", "Card <CARD> expires soon.")]
    [InlineData("Card 4242424242424242 expires soon.", "Card <CARD> expires soon.")]
    [InlineData("Amex 3782 822463 10005 expires soon.", "Amex <CARD> expires soon.")]
    [InlineData("Discover 6011111111111117.", "Discover <CARD>.")]
    public void Redact_LuhnValidCardNumber_ReplacedWithCardPlaceholder(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Theory]
    [InlineData("Card 4111 1111 1111 1112 has a bad check digit.")]
    [InlineData("Order 1234567812345678 shipped.")]
    [InlineData("Zeros 0000 0000 0000 0000 pass Luhn but are no card.")]
    [InlineData("Twelve digits 411111111111 are too few.")]
    public void Redact_LuhnInvalidOrShortNumber_Unchanged(string text) => Assert.Equal(text, Redact(text));

    [Theory]
    [InlineData("Pay GB82 WEST 1234 5698 7654 32 today.", "Pay <IBAN> today.")]
    [InlineData("Pay GB82WEST12345698765432 today.", "Pay <IBAN> today.")]
    [InlineData("Pay DE89370400440532013000.", "Pay <IBAN>.")]
    [InlineData("Pay FR1420041010050500013M02606 now.", "Pay <IBAN> now.")]
    [InlineData("IBAN NL91ABNA0417164300 TO ACME", "IBAN <IBAN> TO ACME")]
    public void Redact_IbanWithValidCheckDigits_ReplacedWithIbanPlaceholder(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Theory]
    [InlineData("Pay GB83 WEST 1234 5698 7654 32 today.")]
    [InlineData("Pay DE89370400440532013001 today.")]
    [InlineData("Pay GB82 WEST 1234 5698 7654 today.")]
    public void Redact_IbanWithBadCheckDigitsOrLength_Unchanged(string text) => Assert.Equal(text, Redact(text));

    [Theory]
    [InlineData("Host 10.0.0.1 is down.", "Host <IP> is down.")]
    [InlineData("Connect to 192.168.1.254:8080.", "Connect to <IP>:8080.")]
    [InlineData("Server at 255.255.255.255.", "Server at <IP>.")]
    [InlineData("Host 2001:db8:85a3::8a2e:370:7334 is up.", "Host <IP> is up.")]
    [InlineData("Link-local fe80::1.", "Link-local <IP>.")]
    [InlineData("Full 2001:0db8:0000:0000:0000:ff00:0042:8329 here.", "Full <IP> here.")]
    [InlineData("Mapped ::ffff:192.168.0.1 here.", "Mapped <IP> here.")]
    // A bare four-part number is indistinguishable from an address: redacted (see PiiRedactor's remarks).
    [InlineData("Tagged 1.2.3.4 yesterday.", "Tagged <IP> yesterday.")]
    public void Redact_IpAddress_ReplacedWithIpPlaceholder(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Theory]
    [InlineData("Octet 256.1.1.1 is out of range.")]
    [InlineData("Octet 1.1.1.300 is out of range.")]
    [InlineData("Version v1.2.3.4 shipped.")]
    [InlineData("Shipped version 1.2.3.4 today.")]
    [InlineData("Five parts 1.2.3.4.5 is a version.")]
    [InlineData("Loopback ::1 and std::vector and a::b stay.")]
    [InlineData("At 12:30:45 the MAC 00:1A:2B:3C:4D:5E was seen.")]
    public void Redact_NotAnIpAddress_Unchanged(string text) => Assert.Equal(text, Redact(text));

    [Theory]
    [InlineData("SSN 123-45-6789 on file.", "SSN <NATIONAL_ID> on file.")]
    [InlineData("NINO AB 12 34 56 C on file.", "NINO <NATIONAL_ID> on file.")]
    [InlineData("NINO AB123456C on file.", "NINO <NATIONAL_ID> on file.")]
    public void Redact_NationalId_ReplacedWithNationalIdPlaceholder(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Theory]
    [InlineData("SSN 000-12-3456 is invalid.")]
    [InlineData("SSN 666-12-3456 is invalid.")]
    [InlineData("SSN 912-34-5678 is invalid.")]
    [InlineData("SSN 123-00-6789 is invalid.")]
    [InlineData("SSN 123-45-0000 is invalid.")]
    [InlineData("NINO QQ 12 34 56 C uses a letter HMRC never issues.")]
    [InlineData("NINO GB 12 34 56 A uses a prefix HMRC never issues.")]
    public void Redact_InvalidNationalId_Unchanged(string text) => Assert.Equal(text, Redact(text));

    private const string AccountKey = "abcdEFGHijklMNOPqrstUVWXyz0123456789+/abcdEFGHijklMNOPqrstUVWXyz0123456789+/abcdEFGHij==";

    [Theory]
    [InlineData("key AKIAIOSFODNN7EXAMPLE here", "key <SECRET> here")]
    [InlineData("key ASIAY34FZKBOKMUTVV7A here", "key <SECRET> here")]
    [InlineData("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = <SECRET>")]
    [InlineData("\"AWS_SECRET_KEY\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", "\"AWS_SECRET_KEY\": \"<SECRET>\"")]
    [InlineData("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 here", "token <SECRET> here")]
    [InlineData("token gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 here", "token <SECRET> here")]
    [InlineData("token github_pat_11ABCDEFG0123456789abc_defghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01234 here", "token <SECRET> here")]
    [InlineData("Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c ok", "Bearer <SECRET> ok")]
    [InlineData("https://acct.blob.core.windows.net/c?sv=2024-01-01&sig=AbCdEf0123456789%2BxYz%3D&se=x", "https://acct.blob.core.windows.net/c?sv=2024-01-01&sig=<SECRET>&se=x")]
    public void Redact_Secret_ReplacedWithSecretPlaceholder(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Fact]
    public void Redact_AzureConnectionString_RedactsOnlyTheAccountKey()
    {
        string text = $"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AccountKey};EndpointSuffix=core.windows.net";

        PiiRedaction result = PiiRedactor.All.Redact(text);

        Assert.Equal("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=<SECRET>;EndpointSuffix=core.windows.net", result.Text);
        Assert.Equal(new PiiCounts(0, 0, 0, 0, 0, 0, 1), result.Counts);
    }

    [Theory]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234+/abc\nq80xyzABC==\n-----END RSA PRIVATE KEY-----")]
    [InlineData("-----BEGIN PRIVATE KEY----- MIIEvQIBADANBgkqhkiG9w0BAQEFAASC 4111111111111111 -----END PRIVATE KEY-----")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAA\n-----END OPENSSH PRIVATE KEY-----")]
    [InlineData("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBv1234567890abcdefTRUNCATED")]
    public void Redact_PemPrivateKeyBlock_ReplacedWholeWithOneSecret(string key)
    {
        PiiRedaction result = PiiRedactor.All.Redact($"Key:\n{key}\nDone.");

        Assert.Equal("Key:\n<SECRET>\nDone.", result.Text);
        Assert.Equal(1, result.Counts.Secret);
        Assert.Equal(1, result.Counts.Total);
    }

    [Theory]
    [InlineData("AKIA1234 is too short to be a key.")]
    [InlineData("ghp_short is no token.")]
    [InlineData("-----BEGIN PUBLIC KEY----- MIIBIjANBgkq -----END PUBLIC KEY-----")]
    [InlineData("the aws_secret is wJalrXUtnFEMI which is too short")]
    public void Redact_SecretLookalike_Unchanged(string text) => Assert.Equal(text, Redact(text));

    [Fact]
    public void Redact_MixedText_CountsEachKind()
    {
        const string text = """
            Contact ann@example.com or bob@example.org, phone +44 20 7946 0958.
            Card 4111 1111 1111 1111, IBAN DE89370400440532013000, SSN 123-45-6789.
            Servers 10.0.0.1 and fe80::1 use key AKIAIOSFODNN7EXAMPLE.
            """;

        PiiRedaction result = PiiRedactor.All.Redact(text);

        Assert.Equal(new PiiCounts(Email: 2, Phone: 1, Card: 1, Iban: 1, Ip: 2, NationalId: 1, Secret: 1), result.Counts);
        Assert.Equal(9, result.Counts.Total);
        Assert.Equal(
            """
            Contact <EMAIL> or <EMAIL>, phone <PHONE>.
            Card <CARD>, IBAN <IBAN>, SSN <NATIONAL_ID>.
            Servers <IP> and <IP> use key <SECRET>.
            """,
            result.Text);
    }

    [Fact]
    public void Redact_RedactedText_ChangesNothingMore()
    {
        const string text = "a@b.example 4111111111111111 GB82WEST12345698765432 123-45-6789 10.0.0.1 +1 415 555 2671 AKIAIOSFODNN7EXAMPLE";
        string once = Redact(text);

        PiiRedaction twice = PiiRedactor.All.Redact(once);

        Assert.Equal(once, twice.Text);
        Assert.Equal(default, twice.Counts);
    }

    [Fact]
    public void Redact_CleanText_ReturnsSameInstance()
    {
        string text = "Nothing personal here, just 42 apples and 7 pears.";

        PiiRedaction result = PiiRedactor.All.Redact(text);

        Assert.Same(text, result.Text);
        Assert.Equal(0, result.Counts.Total);
    }

    [Fact]
    public void Redact_SelectedKinds_LeavesOtherKinds()
    {
        var emailsOnly = new PiiRedactor(PiiKind.Email);

        PiiRedaction result = emailsOnly.Redact("ann@example.com 10.0.0.1");

        Assert.Equal("<EMAIL> 10.0.0.1", result.Text);
        Assert.Equal(1, result.Counts.Of(PiiKind.Email));
        Assert.Equal(0, result.Counts.Of(PiiKind.Ip));
    }

    [Fact]
    public void Redact_LongTextWithoutMatches_FinishesWithinTimeout()
    {
        // Long runs that each pattern could start on but never complete: no catastrophic backtracking.
        string text = string.Concat(Enumerable.Repeat("aaaa.bbbb-1234 5678 0:: +4 GB12 AKIA @x ", 5_000));

        PiiRedaction result = PiiRedactor.All.Redact(text);

        Assert.Equal(text, result.Text);
    }

    [Fact]
    public void PiiCounts_Add_SumsEveryKind()
    {
        var a = new PiiCounts(1, 2, 3, 4, 5, 6, 7);

        Assert.Equal(new PiiCounts(2, 4, 6, 8, 10, 12, 14), a + a);
        Assert.Equal(3, a.Plus(PiiKind.Email, 2).Email);
    }

    [Theory]
    [InlineData("GB82WEST12345698765432", true)]
    [InlineData("GB82WEST12345698765433", false)]
    [InlineData("gb82west12345698765432", false)]
    public void IbanChecksumIsValid_Mod97_MatchesIso13616(string iban, bool valid) =>
        Assert.Equal(valid, PiiRedactor.IbanChecksumIsValid(iban));

    [Theory]
    [InlineData("4111 1111 1111 1111", true)]
    [InlineData("4111 1111 1111 1112", false)]
    [InlineData("0000000000000000", false)]
    [InlineData("411111111111", false)]
    public void LuhnIsValid_CardNumbers_ChecksDigitCountAndCheckDigit(string number, bool valid) =>
        Assert.Equal(valid, PiiRedactor.LuhnIsValid(number));
}
