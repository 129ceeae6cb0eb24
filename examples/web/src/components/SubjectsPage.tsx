import type { ApolloCache } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useId, useRef, useState } from 'react';
import type { ManagedSubjectFieldsFragment } from '../__generated__/graphql.js';
import { describeError } from '../errors.js';
import { AllSubjectsDocument, ArchiveSubjectDocument, UnarchiveSubjectDocument, UpdateSubjectDocument } from '../operations.js';

/** What a colour picker shows for a subject that has none: the app's neutral grey. */
const NO_COLOUR = '#9aa1b1';

/**
 * Drops the cached list of subjects in use (`subjects` without arguments: the start form's and
 * the timer page's), which archiving or unarchiving changes: whichever of them shows next reads
 * it again. Refetching it instead would do nothing while they are not on screen.
 */
function forgetSubjectsInUse(cache: ApolloCache): void {
  cache.modify({
    id: 'ROOT_QUERY',
    fields: { subjects: (existing, { storeFieldName, DELETE }) => (storeFieldName === 'subjects' ? DELETE : existing) },
  });
}

/** One subject: its name and colour to edit, and archive or bring back. */
function SubjectRow({ subject }: { subject: ManagedSubjectFieldsFragment }) {
  const [name, setName] = useState(subject.name);
  const [color, setColor] = useState(subject.color ?? NO_COLOUR);
  const [error, setError] = useState<string>();
  const ids = { name: useId(), color: useId() };
  const [update, updating] = useMutation(UpdateSubjectDocument);
  const [archive, archiving] = useMutation(ArchiveSubjectDocument, { update: forgetSubjectsInUse });
  const [unarchive, unarchiving] = useMutation(UnarchiveSubjectDocument, { update: forgetSubjectsInUse });
  const busy = updating.loading || archiving.loading || unarchiving.loading;
  // One request at a time; aria-disabled rather than `disabled`, which would drop the focus.
  const acting = useRef(false);

  const trimmed = name.trim();
  const renamed = trimmed !== subject.name;
  const recoloured = color !== (subject.color ?? NO_COLOUR);
  const archived = subject.archivedAt !== null;

  async function run(action: () => Promise<unknown>) {
    if (acting.current) return;
    acting.current = true;
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(describeError(err));
    } finally {
      acting.current = false;
    }
  }

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!renamed && !recoloured) return;
    void run(async () => {
      const result = await update({
        variables: { id: subject.id, input: { ...(renamed ? { name: trimmed } : {}), ...(recoloured ? { color } : {}) } },
      });
      // As the API stored it (inner spaces collapsed, colour in lower case).
      const saved = result.data?.updateSubject;
      if (saved) {
        setName(saved.name);
        setColor(saved.color ?? NO_COLOUR);
      }
    });
  }

  return (
    <li className={archived ? 'subject-row subject-row--archived' : 'subject-row'}>
      <div className="subject-row__head">
        <span className="swatch" style={{ backgroundColor: subject.color ?? NO_COLOUR }} aria-hidden="true" />
        <span className="subject-row__name">{subject.name}</span>
        {archived && <span className="pill pill--archived">Archived</span>}
      </div>
      <form className="subject-row__form" onSubmit={save}>
        <label htmlFor={ids.name} className="visually-hidden">
          Name
        </label>
        <input id={ids.name} value={name} maxLength={80} required onChange={(e) => setName(e.target.value)} />
        <label htmlFor={ids.color} className="visually-hidden">
          Colour
        </label>
        <input id={ids.color} type="color" className="subject-row__colour" value={color} onChange={(e) => setColor(e.target.value)} />
        <button type="submit" className="button button--secondary" disabled={trimmed === '' || (!renamed && !recoloured)}
          aria-disabled={busy}>
          Save
        </button>
        <button
          type="button"
          className="button button--ghost"
          aria-disabled={busy}
          onClick={() => void run(() => (archived ? unarchive : archive)({ variables: { id: subject.id } }))}
        >
          {archived ? 'Unarchive' : 'Archive'}
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/**
 * Every subject of the student's, to rename, recolour, archive and bring back. Archived
 * subjects are listed only with "Show archived"; they start no new session, but their sessions
 * stay in the history and statistics.
 */
export function SubjectsPage() {
  const [showArchived, setShowArchived] = useState(false);
  const subjects = useQuery(AllSubjectsDocument, { fetchPolicy: 'cache-and-network' });
  const all = subjects.data?.subjects ?? [];
  const shown = all.filter((s) => showArchived || s.archivedAt === null);
  const archivedCount = all.length - all.filter((s) => s.archivedAt === null).length;

  return (
    <main className="single">
      <section className="card" aria-labelledby="manage-subjects-heading">
        <div className="subjects__head">
          <h1 id="manage-subjects-heading">Subjects</h1>
          <label className="toggle">
            <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />
            Show archived{archivedCount > 0 ? ` (${archivedCount})` : ''}
          </label>
        </div>
        {subjects.error && !subjects.data ? (
          <p className="error" role="alert">
            {describeError(subjects.error)}
          </p>
        ) : shown.length === 0 ? (
          !subjects.loading && (
            <p className="muted">
              {all.length === 0 ? 'No subjects yet: add one on the timer page.' : 'Every subject is archived.'}
            </p>
          )
        ) : (
          <ul className="subject-rows" aria-label="Your subjects">
            {shown.map((s) => (
              <SubjectRow key={s.id} subject={s} />
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
