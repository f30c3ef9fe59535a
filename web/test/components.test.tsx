import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter } from "react-router";
import { ApiError } from "../src/api/client";
import { ErrorBox } from "../src/common/ErrorBox";
import { LoginPage } from "../src/session/LoginPage";
import { SessionProvider } from "../src/session/session";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("ErrorBox", () => {
  it("shows an API problem's title and detail, as text", () => {
    render(<ErrorBox error={new ApiError(422, "Quota exceeded", "space quota \"small\": <b>1024M</b>")} />);
    expect(screen.getByRole("alert").textContent).toContain("Quota exceeded");
    expect(screen.getByRole("alert").textContent).toContain("space quota \"small\": <b>1024M</b>");
    expect(screen.getByRole("alert").querySelector("b")).toBeNull();
  });

  it("says what a 403 does not allow", () => {
    render(<ErrorBox error={new ApiError(403, "Forbidden", "the role SpaceDeveloper is needed")} action="scale this app" />);
    expect(screen.getByRole("alert").textContent).toContain("Not allowed: scale this app");
    expect(screen.getByRole("alert").textContent).toContain("SpaceDeveloper");
  });
});

describe("LoginPage", () => {
  it("has labelled fields, posts them, and shows a wrong password's problem", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      if (url.endsWith("/v1/sessions/current")) return json(401, { title: "Unauthorized", detail: "no session" });
      if (url.endsWith("/v1/sessions") && init?.method === "POST")
        return json(401, { title: "Unauthorized", detail: "wrong username or password" });
      return json(404, {});
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <SessionProvider>
          <MemoryRouter initialEntries={["/login"]}>
            <LoginPage />
          </MemoryRouter>
        </SessionProvider>
      </QueryClientProvider>,
    );
    fireEvent.change(screen.getByLabelText("Username"), { target: { value: "ada" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "nope" } });
    fireEvent.click(screen.getByRole("button", { name: "Log in" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("wrong username or password"));
    const post = fetch.mock.calls.find(([, init]) => init?.method === "POST")!;
    expect(JSON.parse(String(post[1]!.body))).toEqual({ username: "ada", password: "nope" });
    expect((screen.getByLabelText("Password") as HTMLInputElement).value).toBe("");
  });
});
