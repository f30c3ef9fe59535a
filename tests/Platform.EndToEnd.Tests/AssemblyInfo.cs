// The tests run platd, a Linux sandbox and its network: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
