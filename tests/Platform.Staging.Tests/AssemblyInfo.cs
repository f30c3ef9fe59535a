// The stager and these tests drive Linux containers, dpkg-deb and apt-get.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
