/*
 * Chat widget for the Migrationsverket technical support assistant.
 *
 * Embed it on any page with one tag; the Rasa server must allow the page's origin (CORS):
 *   <script src="https://example.org/widget/chat-widget.js"
 *           data-server-url="https://assistant.example.org" defer></script>
 *
 * It talks to Rasa's REST channel (POST {server}/webhooks/rest/webhook). The server hands out
 * each conversation with a key (POST .../conversations), kept in the tab's session storage:
 * with it, and only with it, the applicant saves a copy of the conversation or deletes it
 * (assistant/channels/own_conversation.py). The interface
 * language comes from the page's <html lang> (Swedish unless it is English) and is sent to
 * the assistant as metadata, so even the first answer is in it. The widget lives in a shadow
 * root, so the host page's CSS cannot break it, and every text is put in with textContent:
 * nothing the user or the server sends is ever parsed as markup.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__mvSupportChat) return;
  window.__mvSupportChat = true;

  var SERVER_URL = (script.getAttribute("data-server-url") || "").replace(/\/+$/, "");
  var WEBHOOK = SERVER_URL + "/webhooks/rest/webhook";
  var CONVERSATIONS = SERVER_URL + "/webhooks/rest/conversations";
  var COPY = SERVER_URL + "/webhooks/rest/conversation/copy";
  var DELETE = SERVER_URL + "/webhooks/rest/conversation/delete";
  // The page that says what is kept and how to get a copy or delete it, beside the widget's
  // folder unless the embedding page names its own.
  var PRIVACY_PAGES = {
    sv: script.getAttribute("data-privacy-url-sv") || new URL("../integritet.html", script.src).href,
    en: script.getAttribute("data-privacy-url-en") || new URL("../en/privacy.html", script.src).href,
  };
  var STYLESHEET = new URL("chat-widget.css", script.src).href;
  var STORAGE_KEY = "mv-support-chat";
  // The REST channel refuses longer messages; the field stops the user before that.
  var MAX_MESSAGE_LENGTH = 1000;
  var TIMEOUT_MS = 30000;

  // Kept short. The privacy notice says what is kept and for how long: 30 days is
  // assistant/retention.py's RETENTION_DAYS (a test checks that they agree).
  var TEXT = {
    sv: {
      launcher: "Chatta med teknisk support",
      title: "Teknisk support",
      subtitle: "Chattassistent",
      region: "Chatt med Migrationsverkets tekniska support",
      close: "Stäng chatten",
      startOver: "Börja om",
      switchLanguage: "English",
      switchLanguageLabel: "Switch the chat to English",
      privacy:
        "Skriv inte ditt personnummer eller andra personuppgifter här. Samtalet finns kvar i " +
        "den här webbläsarfliken tills du stänger den eller väljer Börja om. Assistenten " +
        "sparar det i 30 dagar för att kunna bli bättre, med personnummer, mejladresser och " +
        "telefonnummer borttagna. Du kan spara en kopia eller radera det när du vill.",
      privacyLink: "Vad sparas och hur du raderar det",
      saveCopy: "Spara en kopia",
      deleteConversation: "Radera samtalet",
      confirmDelete:
        "Vill du radera samtalet? Det tas bort från assistenten direkt och går inte att få tillbaka.",
      confirmDeleteYes: "Radera",
      confirmDeleteNo: "Avbryt",
      deleted: "Samtalet är raderat. Här börjar ett nytt samtal.",
      nothingToDelete: "Assistenten hade inget sparat samtal att radera. Här börjar ett nytt samtal.",
      copySaved: "En kopia av samtalet har sparats som fil.",
      copyFile: "samtal",
      nothingToCopy: "Det finns inget samtal att spara ännu.",
      copyFailed: "Det gick inte att spara en kopia just nu. Försök igen om en stund.",
      deleteFailed: "Det gick inte att radera samtalet just nu. Det finns kvar; försök igen om en stund.",
      conversation: "Konversation",
      inputLabel: "Ditt meddelande",
      placeholder: "Skriv din fråga här",
      send: "Skicka",
      you: "Du skrev:",
      assistant: "Assistenten svarade:",
      notice: "Driftinformation",
      choices: "Svarsalternativ",
      typing: "Assistenten skriver …",
      newTab: "(öppnas i ny flik)",
      unreachable:
        "Det gick inte att nå assistenten. Ditt meddelande har inte skickats; " +
        "försök igen om en stund.",
      failed: "Assistenten kunde inte svara just nu. Ditt meddelande har inte skickats.",
      tooFast:
        "Du skickar meddelanden snabbare än jag hinner svara. Ditt meddelande har inte " +
        "skickats; vänta en liten stund och försök sedan igen.",
      retry: "Försök igen",
    },
    en: {
      launcher: "Chat with technical support",
      title: "Technical support",
      subtitle: "Chat assistant",
      region: "Chat with Migrationsverket's technical support",
      close: "Close the chat",
      startOver: "Start over",
      switchLanguage: "Svenska",
      switchLanguageLabel: "Byt chattens språk till svenska",
      privacy:
        "Don't type your personal identity number or other personal details here. The " +
        "conversation stays in this browser tab until you close it or choose Start over. " +
        "The assistant keeps it for 30 days so that it can be improved, with identity " +
        "numbers, email addresses and phone numbers removed. You can save a copy or delete it " +
        "whenever you like.",
      privacyLink: "What is kept, and how to delete it",
      saveCopy: "Save a copy",
      deleteConversation: "Delete the conversation",
      confirmDelete:
        "Delete the conversation? It is removed from the assistant at once and cannot be brought back.",
      confirmDeleteYes: "Delete",
      confirmDeleteNo: "Cancel",
      deleted: "The conversation has been deleted. A new conversation starts here.",
      nothingToDelete: "The assistant had no stored conversation to delete. A new conversation starts here.",
      copySaved: "A copy of the conversation has been saved as a file.",
      copyFile: "conversation",
      nothingToCopy: "There is no conversation to save yet.",
      copyFailed: "A copy could not be saved just now. Please try again in a moment.",
      deleteFailed: "The conversation could not be deleted just now. It is still there; please try again in a moment.",
      conversation: "Conversation",
      inputLabel: "Your message",
      placeholder: "Type your question here",
      send: "Send",
      you: "You wrote:",
      assistant: "The assistant replied:",
      notice: "Service notice",
      choices: "Choices",
      typing: "The assistant is typing …",
      newTab: "(opens in a new tab)",
      unreachable:
        "The assistant could not be reached. Your message has not been sent; " +
        "please try again in a moment.",
      failed: "The assistant could not answer just now. Your message has not been sent.",
      tooFast:
        "You are sending messages faster than I can answer. Your message has not been " +
        "sent; please wait a moment, then try again.",
      retry: "Try again",
    },
  };

  function pageLanguage() {
    var lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    return lang.slice(0, 2) === "en" ? "en" : "sv";
  }

  // ----- state, kept in sessionStorage so a reload in the same tab keeps the conversation

  // The conversation's id and key come from the server with the first message (ensureConversation).
  function newState(lang) {
    return { sender: null, key: null, lang: lang, open: false, messages: [], draft: "" };
  }

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      // A conversation kept before keys existed has none: it could be neither copied nor
      // deleted, so the chat starts afresh.
      if (saved && Array.isArray(saved.messages) && (saved.lang === "sv" || saved.lang === "en") &&
          ((typeof saved.sender === "string" && typeof saved.key === "string") ||
           (saved.sender === null && saved.key === null))) {
        return saved;
      }
    } catch (ignored) {
      // Storage may be disabled or hold something else; then the chat starts afresh.
    }
    return newState(pageLanguage());
  }

  var state = loadState();

  function saveState() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (ignored) {
      // Without storage the chat still works; it is only not kept across a reload.
    }
  }

  // ----- DOM helpers

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function t(key) { return TEXT[state.lang][key]; }

  // ----- rendering a bot text: paragraphs, numbered and bulleted lists, links

  // [title](https://...), a bare https:// address, or a Swedish phone number like 0771-235 235.
  var INLINE = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'"])|(\b0\d{1,3}-\d{2,3}(?: \d{2,3}){1,2}\b)/g;
  var LIST_ITEM = /^\s*(?:([-*•])|(\d+)[.)])\s+(.*)$/;

  function link(href, label, external) {
    var a = el("a", { href: href, text: label });
    if (external) {
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener noreferrer");
      a.appendChild(el("span", { "class": "visually-hidden", text: " " + t("newTab") }));
    }
    return a;
  }

  function appendInline(parent, text) {
    var last = 0;
    text.replace(INLINE, function (match, title, titledUrl, bareUrl, phone, offset) {
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      if (phone) {
        parent.appendChild(link("tel:+46" + phone.replace(/\D/g, "").slice(1), phone, false));
      } else {
        parent.appendChild(link(titledUrl || bareUrl, title || bareUrl, true));
      }
      last = offset + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderRichText(container, text) {
    var list = null;
    text.split(/\r?\n/).forEach(function (line) {
      var item = LIST_ITEM.exec(line);
      if (item) {
        var tag = item[1] ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== tag) {
          list = el(tag);
          if (item[2] && item[2] !== "1") list.setAttribute("start", item[2]);
          container.appendChild(list);
        }
        var li = el("li");
        appendInline(li, item[3]);
        list.appendChild(li);
      } else {
        list = null;
        if (line.trim()) {
          var p = el("p");
          appendInline(p, line);
          container.appendChild(p);
        }
      }
    });
  }

  // ----- the widget's DOM

  var host = el("div", { id: "mv-support-chat" });
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: STYLESHEET }));

  var launcher = el("button", { type: "button", "class": "launcher", "aria-controls": "chat-panel", "aria-expanded": "false" });
  var title = el("h2", { "class": "title" });
  var subtitle = el("p", { "class": "subtitle" });
  var languageButton = el("button", { type: "button", "class": "header-button" });
  var startOverButton = el("button", { type: "button", "class": "header-button" });
  var closeButton = el("button", { type: "button", "class": "header-button close" }, [
    el("span", { "aria-hidden": "true", text: "×" }),
  ]);
  var privacyText = el("span");
  var privacyLink = el("a", { "class": "privacy-link", target: "_blank", rel: "noopener noreferrer" });
  var saveCopyButton = el("button", { type: "button", "class": "tool" });
  var deleteButton = el("button", { type: "button", "class": "tool", "aria-controls": "confirm-delete", "aria-expanded": "false" });
  var tools = el("div", { "class": "tools" }, [saveCopyButton, deleteButton]);
  // Deleting asks first, in place: the question labels the group the focus moves into.
  var confirmQuestion = el("p", { id: "confirm-delete-question" });
  var confirmYes = el("button", { type: "button", "class": "tool danger" });
  var confirmNo = el("button", { type: "button", "class": "tool" });
  var confirmBox = el("div", { id: "confirm-delete", "class": "confirm", role: "group", "aria-labelledby": "confirm-delete-question", hidden: "" }, [
    confirmQuestion, el("div", { "class": "confirm-buttons" }, [confirmYes, confirmNo]),
  ]);
  var privacy = el("p", { "class": "privacy" }, [privacyText, document.createTextNode(" "), privacyLink]);
  // Below the composer, always in view: the applicant's own copy, and deleting.
  var footer = el("div", { "class": "footer" }, [tools, confirmBox]);
  var log = el("div", { role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-busy": "false", "class": "log" });
  var scroller = el("div", { "class": "scroller", tabindex: "0", role: "region" }, [privacy, log]);
  var typing = el("div", { "class": "typing", role: "status" });
  var statusBox = el("div", { "class": "status", role: "status" });
  var errorBox = el("div", { "class": "error", role: "alert" });
  var input = el("textarea", { id: "chat-input", rows: "2", maxlength: String(MAX_MESSAGE_LENGTH), autocomplete: "off" });
  var inputLabel = el("label", { "for": "chat-input", "class": "visually-hidden" });
  var sendButton = el("button", { type: "submit", "class": "send" });
  var form = el("form", { "class": "composer", novalidate: "" }, [inputLabel, input, sendButton]);
  var panel = el("section", { id: "chat-panel", "class": "panel", hidden: "" }, [
    el("header", { "class": "header" }, [
      el("div", { "class": "heading" }, [title, subtitle]),
      el("div", { "class": "header-buttons" }, [languageButton, startOverButton, closeButton]),
    ]),
    scroller,
    typing,
    statusBox,
    errorBox,
    form,
    footer,
  ]);
  var frame = el("div", { "class": "frame" }, [launcher, panel]);
  root.appendChild(frame);

  function applyLanguage() {
    frame.setAttribute("lang", state.lang);
    launcher.textContent = t("launcher");
    title.textContent = t("title");
    subtitle.textContent = t("subtitle");
    panel.setAttribute("aria-label", t("region"));
    languageButton.textContent = t("switchLanguage");
    languageButton.setAttribute("lang", state.lang === "sv" ? "en" : "sv");
    languageButton.setAttribute("aria-label", t("switchLanguageLabel"));
    startOverButton.textContent = t("startOver");
    closeButton.setAttribute("aria-label", t("close"));
    privacyText.textContent = t("privacy");
    privacyLink.textContent = t("privacyLink");
    privacyLink.setAttribute("href", PRIVACY_PAGES[state.lang]);
    privacyLink.appendChild(el("span", { "class": "visually-hidden", text: " " + t("newTab") }));
    saveCopyButton.textContent = t("saveCopy");
    deleteButton.textContent = t("deleteConversation");
    confirmQuestion.textContent = t("confirmDelete");
    confirmYes.textContent = t("confirmDeleteYes");
    confirmNo.textContent = t("confirmDeleteNo");
    scroller.setAttribute("aria-label", t("conversation"));
    inputLabel.textContent = t("inputLabel");
    input.setAttribute("placeholder", t("placeholder"));
    sendButton.textContent = t("send");
    if (busy) typing.textContent = t("typing");
  }

  // ----- messages

  function messageNode(message, index) {
    if (message.role === "notice") return noticeNode(message, index);
    var isUser = message.role === "user";
    var node = el("div", { "class": "message " + (isUser ? "from-user" : "from-bot") }, [
      el("span", { "class": "visually-hidden", text: isUser ? t("you") + " " : t("assistant") + " " }),
    ]);
    var bubble = el("div", { "class": "bubble" });
    if (isUser) bubble.appendChild(el("p", { text: message.text }));
    else renderRichText(bubble, message.text || "");
    node.appendChild(bubble);
    if (message.buttons && message.buttons.length) {
      var group = el("div", { "class": "quick-replies", role: "group", "aria-label": t("choices") });
      message.buttons.forEach(function (button) {
        var b = el("button", { type: "button", "class": "quick-reply", text: button.title });
        b.addEventListener("click", function () {
          if (busy) return;
          // "Continue in English" after a message in another language: the widget's own
          // labels follow the conversation's new language.
          var switchesTo = LANGUAGE_BUTTONS[button.payload];
          if (switchesTo && switchesTo !== state.lang) {
            state.lang = switchesTo;
            saveState();
            applyLanguage();
          }
          send(button.payload, button.title);
          input.focus();
        });
        group.appendChild(b);
      });
      node.appendChild(group);
    }
    node.setAttribute("data-index", String(index));
    return node;
  }

  // A service notice from the agency: a note of its own, labelled in its language, before
  // the answer it concerns (assistant/notices.py).
  function noticeNode(message, index) {
    var node = el("div", { "class": "message notice", role: "note", lang: message.lang });
    var label = el("p", { "class": "notice-label", text: TEXT[message.lang === "en" ? "en" : "sv"].notice });
    var body = el("div", { "class": "notice-text" });
    renderRichText(body, message.text || "");
    node.appendChild(label);
    node.appendChild(body);
    node.setAttribute("aria-label", label.textContent);
    node.setAttribute("data-index", String(index));
    return node;
  }

  function addMessage(message) {
    state.messages.push(message);
    saveState();
    var node = messageNode(message, state.messages.length - 1);
    log.appendChild(node);
    return node;
  }

  function renderHistory() {
    log.textContent = "";
    state.messages.forEach(function (message, index) {
      log.appendChild(messageNode(message, index));
    });
  }

  // Quick replies answer the latest question only; once the user goes on, they go away.
  function retireQuickReplies() {
    state.messages.forEach(function (message) { delete message.buttons; });
    saveState();
    Array.prototype.forEach.call(log.querySelectorAll(".quick-replies"), function (group) {
      group.parentNode.removeChild(group);
    });
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  // A long answer is shown from its start, not from its end; a short one scrolls into view
  // whole (the browser stops the scroll at the end).
  function scrollToStartOf(node) {
    var top = node.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    scroller.scrollTop += top - 8;
  }

  // ----- talking to the server

  var busy = false;

  // `quiet`: saving a copy or deleting, where the assistant is not typing.
  function setBusy(value, quiet) {
    busy = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    [sendButton, saveCopyButton, deleteButton, confirmYes].forEach(function (button) {
      button.setAttribute("aria-disabled", value ? "true" : "false");
    });
    typing.textContent = value && !quiet ? t("typing") : "";
    typing.classList.toggle("active", value && !quiet);
    if (value && !quiet) scrollToEnd();
  }

  function showError(text, retry) {
    errorBox.textContent = "";
    errorBox.appendChild(el("p", { text: text }));
    var retryButton = el("button", { type: "button", "class": "retry", text: t("retry") });
    retryButton.addEventListener("click", function () {
      retry();
      input.focus();
    });
    errorBox.appendChild(retryButton);
    errorBox.classList.add("active");
  }

  function clearError() {
    errorBox.textContent = "";
    errorBox.classList.remove("active");
  }

  // A POST of JSON to the server; resolves to the response if it is OK, else fails with
  // what the user needs told (answered: the server said no; tooFast; notFound).
  function request(url, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error("HTTP " + response.status);
        error.answered = true;
        error.tooFast = response.status === 429;
        error.notFound = response.status === 404;
        throw error;
      }
      return response;
    }).finally(function () {
      if (timer) clearTimeout(timer);
    });
  }

  // The first message of a conversation first asks the server for its id and key.
  function ensureConversation() {
    if (state.sender && state.key) return Promise.resolve();
    var asked = state;
    return request(CONVERSATIONS, {}).then(function (response) {
      return response.json();
    }).then(function (issued) {
      if (typeof issued.sender !== "string" || typeof issued.key !== "string") throw new Error("no conversation");
      if (asked !== state) return;  // started over meanwhile
      state.sender = issued.sender;
      state.key = issued.key;
      saveState();
    });
  }

  function post(message) {
    return ensureConversation().then(function () {
      return request(WEBHOOK, { sender: state.sender, message: message, metadata: { language: state.lang } });
    }).then(function (response) {
      return response.json();
    });
  }

  /*
   * Send a message. `shown` is what the conversation shows as the user's turn (the text, or a
   * button's title); null sends it unseen (the greeting when the chat opens). If the server
   * cannot be reached, the message is not lost: typed text goes back into the field and a
   * button offers to send it again.
   */
  function send(message, shown) {
    if (busy) return;
    clearError();
    if (shown !== null) showStatus("");  // not for the greeting a deletion starts with
    setBusy(true);
    var typed = shown === message;
    var userIndex = null;
    if (shown !== null) {
      addMessage({ role: "user", text: shown });
      userIndex = state.messages.length - 1;
      scrollToEnd();
    }
    post(message).then(function (replies) {
      retireQuickReplies();
      var firstReply = null;
      (Array.isArray(replies) ? replies : []).forEach(function (reply) {
        var notice = reply && reply.custom && reply.custom.notice;
        if (notice && typeof notice.text === "string") {
          var shown = addMessage({ role: "notice", text: notice.text, lang: notice.language === "en" ? "en" : "sv" });
          firstReply = firstReply || shown;
          return;
        }
        if (typeof reply.text !== "string" && !Array.isArray(reply.buttons)) return;
        var node = addMessage({
          role: "bot",
          text: typeof reply.text === "string" ? reply.text : "",
          buttons: (reply.buttons || []).filter(function (b) {
            return b && typeof b.title === "string" && typeof b.payload === "string";
          }).map(function (b) { return { title: b.title, payload: b.payload }; }),
        });
        firstReply = firstReply || node;
      });
      if (firstReply) scrollToStartOf(firstReply);
    }).catch(function (error) {
      if (userIndex !== null) {
        state.messages.splice(userIndex, 1);
        var node = log.querySelector('[data-index="' + userIndex + '"]');
        if (node) node.parentNode.removeChild(node);
        saveState();
      }
      if (typed && !input.value) {
        input.value = message;
        saveDraft();
      }
      var problem = error && error.tooFast ? "tooFast" : error && error.answered ? "failed" : "unreachable";
      showError(t(problem), function () {
        if (typed && input.value === message) {
          input.value = "";
          saveDraft();
        }
        send(message, shown);
      });
    }).then(function () {
      setBusy(false);
    });
  }

  var LANGUAGE_BUTTONS = { "/switch_to_english": "en", "/switch_to_swedish": "sv" };

  function greet(language) {
    // A payload with the language entity sets the assistant's language slot the Rasa way.
    send(language ? '/greet{"language": "' + language + '"}' : "/greet", null);
  }

  // ----- the applicant's copy of the conversation, and deleting it

  function showStatus(text) {
    statusBox.textContent = text;
  }

  function today() {
    var now = new Date();
    return [now.getFullYear(), now.getMonth() + 1, now.getDate()].map(function (n) {
      return n < 10 ? "0" + n : String(n);
    }).join("-");
  }

  function ownConversation() {
    return { sender: state.sender, key: state.key };
  }

  function saveCopy() {
    if (busy) return;
    clearError();
    showStatus("");
    if (!state.key) {
      showStatus(t("nothingToCopy"));
      return;
    }
    setBusy(true, true);
    request(COPY, ownConversation()).then(function (response) {
      return response.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el("a", { href: url, download: t("copyFile") + "-" + today() + ".txt" });
        root.appendChild(a);
        a.click();
        root.removeChild(a);
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        showStatus(t("copySaved"));
      });
    }).catch(function (error) {
      if (error && error.notFound) showStatus(t("nothingToCopy"));
      else showError(t(error && error.tooFast ? "tooFast" : "copyFailed"), saveCopy);
    }).then(function () {
      setBusy(false, true);
    });
  }

  function askToDelete(asking) {
    confirmBox.hidden = !asking;
    tools.hidden = asking;
    deleteButton.setAttribute("aria-expanded", String(asking));
    if (asking) confirmNo.focus();
    else deleteButton.focus();
  }

  function deleteConversation() {
    if (busy) return;
    clearError();
    showStatus("");
    var deleted = function (what) {
      askToDelete(false);
      state = newState(state.lang);
      state.open = true;
      saveState();
      input.value = "";
      renderHistory();
      showStatus(t(what));
      input.focus();
      greet(null);
    };
    if (!state.key) {  // nothing was ever sent: nothing is stored
      deleted("deleted");
      return;
    }
    setBusy(true, true);
    request(DELETE, ownConversation()).then(function () {
      setBusy(false, true);
      deleted("deleted");
    }).catch(function (error) {
      setBusy(false, true);
      // Not found: nothing is stored under this key (its 30 days are over, say); said as it is.
      if (error && error.notFound) deleted("nothingToDelete");
      else showError(t(error && error.tooFast ? "tooFast" : "deleteFailed"), deleteConversation);
    });
  }

  // ----- opening, closing, starting over, switching language

  // The chat button and the panel take turns; a first opening fetches the greeting.
  function showPanel(isOpen) {
    state.open = isOpen;
    saveState();
    panel.hidden = !isOpen;
    launcher.hidden = isOpen;
    launcher.setAttribute("aria-expanded", String(isOpen));
    if (isOpen) {
      scrollToEnd();
      if (!state.messages.length) greet(null);
    }
  }

  function open() {
    showPanel(true);
    input.focus();
  }

  function close() {
    showPanel(false);
    launcher.focus();
  }

  function startOver() {
    if (busy) return;
    state = newState(state.lang);
    state.open = true;
    saveState();
    input.value = "";
    clearError();
    showStatus("");
    confirmBox.hidden = true;
    tools.hidden = false;
    renderHistory();
    input.focus();
    greet(null);
  }

  function switchLanguage() {
    if (busy) return;
    state.lang = state.lang === "sv" ? "en" : "sv";
    saveState();
    applyLanguage();
    greet(state.lang);
  }

  function saveDraft() {
    state.draft = input.value;
    saveState();
  }

  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", close);
  startOverButton.addEventListener("click", startOver);
  saveCopyButton.addEventListener("click", saveCopy);
  deleteButton.addEventListener("click", function () { askToDelete(true); });
  confirmNo.addEventListener("click", function () { askToDelete(false); });
  confirmYes.addEventListener("click", deleteConversation);
  languageButton.addEventListener("click", switchLanguage);
  panel.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (!confirmBox.hidden) askToDelete(false);  // Escape first cancels the question
    else close();
  });
  input.addEventListener("input", saveDraft);
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter makes a new line, as in most chats.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : submit();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  function submit() {
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    saveDraft();
    send(text, text);
  }

  // ----- start

  applyLanguage();
  renderHistory();
  input.value = state.draft || "";
  function attach() {
    document.body.appendChild(host);
    if (state.open) showPanel(true);  // reopened after a reload, without taking the focus
  }
  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach);
})();
