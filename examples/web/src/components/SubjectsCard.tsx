import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useId, useRef, useState } from 'react';
import { describeError } from '../errors.js';
import { CreateSubjectDocument, SubjectsDocument } from '../operations.js';

/** The student's subjects, and a form to add one (which then becomes the picked subject). */
export function SubjectsCard({ onCreated }: { onCreated: (id: string) => void }) {
  const subjects = useQuery(SubjectsDocument);
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  // aria-disabled while the subject is being added (disabling the button just pressed would
  // drop the keyboard focus to the page's top); this guard keeps it to one at a time.
  const adding = useRef(false);
  const [create, creating] = useMutation(CreateSubjectDocument, {
    update(cache, { data }) {
      if (!data) return;
      cache.updateQuery({ query: SubjectsDocument }, (current) =>
        current ? { subjects: [...current.subjects, data.createSubject] } : current,
      );
    },
  });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (adding.current) return;
    adding.current = true;
    setError(undefined);
    try {
      const result = await create({ variables: { name: name.trim() } });
      if (result.data) onCreated(result.data.createSubject.id);
      setName('');
      // The button is disabled now that the field is empty: the focus goes back to the field,
      // ready for the next subject, rather than to the page's top.
      input.current?.focus();
    } catch (err) {
      setError(describeError(err));
    } finally {
      adding.current = false;
    }
  }

  const list = subjects.data?.subjects ?? [];
  return (
    <section className="card" aria-labelledby="subjects-heading">
      <h2 id="subjects-heading">Subjects</h2>
      {list.length > 0 ? (
        <ul className="chips" aria-labelledby="subjects-heading">
          {list.map((s) => (
            <li key={s.id} className="chip">
              {s.color && <span className="swatch" style={{ backgroundColor: s.color }} aria-hidden="true" />}
              {s.name}
            </li>
          ))}
        </ul>
      ) : (
        !subjects.loading && <p className="muted">What are you studying? Add your first subject.</p>
      )}
      <label htmlFor={inputId} className="inline-form__label">
        New subject
      </label>
      <form className="inline-form" onSubmit={submit}>
        <input
          id={inputId}
          ref={input}
          placeholder="e.g. Algebra"
          maxLength={80}
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="button button--secondary" disabled={name.trim() === ''}
          aria-disabled={creating.loading}>
          Add subject
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
