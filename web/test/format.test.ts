import { describe, expect, it } from "vitest";
import { ago, bytes, duration, mb, parseSize, percent } from "../src/common/format";

describe("format", () => {
  it("shows bytes in binary units", () => {
    expect(bytes(null)).toBe("–");
    expect(bytes(512)).toBe("512B");
    expect(bytes(1536)).toBe("1.5K");
    expect(bytes(64 * 1024 * 1024)).toBe("64.0M");
    expect(bytes(300 * 1024 * 1024)).toBe("300M");
  });
  it("shows sizes in MB as plat does", () => {
    expect(mb(256)).toBe("256M");
    expect(mb(1024)).toBe("1G");
    expect(mb(1536)).toBe("1536M");
  });
  it("reads sizes people type", () => {
    expect(parseSize("512M")).toBe(512);
    expect(parseSize("1G")).toBe(1024);
    expect(parseSize(" 2g ")).toBe(2048);
    expect(parseSize("300")).toBe(300);
    expect(parseSize("1T")).toBeNull();
    expect(parseSize("lots")).toBeNull();
  });
  it("shows durations and ages", () => {
    expect(duration(5)).toBe("5s");
    expect(duration(125)).toBe("2m 5s");
    expect(duration(3 * 3600 + 60)).toBe("3h 1m");
    expect(duration(2 * 86400 + 7200)).toBe("2d 2h");
    expect(ago("2026-01-01T00:00:00Z", Date.parse("2026-01-01T00:01:30Z"))).toBe("1m 30s ago");
    expect(ago(null)).toBe("never");
    expect(percent(12.345)).toBe("12.3%");
  });
});
